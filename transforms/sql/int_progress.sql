-- int_progress: progress of every unit and of the city on every indicator, per quarter:
-- % of target and of stretch, status, level, year-end projection, the amount needed per
-- remaining quarter, and each unit's share of the city's shortfall.
-- Each quarter is judged by the plan of its year.
-- Grain: one row per (quarter, scope, indicator_id); scope is a unit code or 'city'.
create or replace view int_progress as
with unit_facts as (
    select
        q.quarter,
        iu.unit as scope,
        iu.indicator_id,
        v.actual,
        v.actual is null and v.rejected_reasons is not null as rejected,
        v.rejected_reasons,
        v.actual_cell,
        v.note,
        v.submission_id
    from int_reporting_quarters as q
    join dim_indicator_unit as iu on iu.plan_year = q.year
    left join int_unit_values as v
        on v.quarter = q.quarter and v.unit = iu.unit and v.indicator_id = iu.indicator_id
),
city_facts as (
    select
        quarter,
        'city' as scope,
        indicator_id,
        actual,
        rejected,
        null::varchar as rejected_reasons,
        null::varchar as actual_cell,
        null::varchar as note,
        null::varchar as submission_id
    from int_city_values
),
facts as (
    select * from unit_facts
    union all
    select * from city_facts
),
joined as (
    select
        f.*,
        q.year,
        q.quarter_number,
        t.* exclude (plan_year, scope, indicator_id, quarter_number)
    from facts as f
    join int_reporting_quarters as q using (quarter)
    join int_indicator_targets as t
        on t.plan_year = q.year and t.scope = f.scope and t.indicator_id = f.indicator_id
       and t.quarter_number = q.quarter_number
),
judged as (
    select
        j.*,
        case when j.target > 0 then j.actual / j.target end as pct_of_target,
        case when j.stretch > 0 then j.actual / j.stretch end as pct_of_stretch,
        case when j.target > 0 then j.expected_to_date / j.target end as expected_pct,
        progress_status(j.actual, j.rejected, j.target, j.tolerance, j.start_level,
                        j.expected_to_date, j.qualifier, j.cumulative, j.year_end_only,
                        j.qualifier = 'increase_by' and j.baseline is null, j.quarter_number,
                        p.behind, p.severely_behind) as status,
        target_level(j.actual, j.target, j.stretch, j.tolerance, j.qualifier) as level,
        year_end_projection(j.actual, j.start_level, j.expected_share, j.qualifier,
                            j.cumulative) as projection,
        needed_per_quarter(j.actual, j.target, j.tolerance, j.qualifier, j.year_end_only,
                           j.quarter_number) as needed_per_quarter
    from joined as j
    cross join param_status as p
),
with_gap as (
    select
        *,
        gap_to_expected(status, actual, expected_to_date, qualifier) as gap_to_expected
    from judged
),
final as (
    select
        *,
        case
            when scope <> 'city' and gap_to_expected > 0 then gap_to_expected / sum(
                case when scope <> 'city' then coalesce(gap_to_expected, 0) else 0 end
            ) over (partition by quarter, indicator_id)
        end as shortfall_share
    from with_gap
)
select * from final;
