-- mart_unit_progress: progress of every unit on every indicator it reports, per quarter.
-- Grain: one row per (quarter, unit, indicator_id) for every quarter with submissions or runs.
create or replace view mart_unit_progress as
with reporting_quarters as (
    select distinct quarter, year, quarter_number from stg_submissions where quarter is not null
    union
    select distinct quarter, cast(substr(quarter, 1, 4) as integer), cast(substr(quarter, 6, 1) as integer)
    from runs
),
params as (
    select * from param_status
),
expected as (
    select t.*, q.quarter, q.year
    from int_indicator_targets as t
    join reporting_quarters as q using (quarter_number)
    where t.scope <> 'city'
),
joined as (
    select
        e.quarter,
        e.scope as unit,
        e.indicator_id,
        e.name,
        e.unit_of_measure,
        e.qualifier,
        e.cumulative,
        e.pacing,
        e.quarter_number,
        e.target,
        coalesce(e.stretch, (select range_max from dim_indicator d where d.indicator_id = e.indicator_id)) as stretch,
        e.baseline,
        e.expected_share,
        e.expected_to_date,
        v.actual,
        v.cell,
        v.note,
        v.submission_id,
        v.rejected_reasons,
        v.rejected_reasons is not null and v.actual is null as rejected
    from expected as e
    left join int_unit_values as v
        on v.unit = e.scope and v.quarter = e.quarter and v.indicator_id = e.indicator_id
),
final as (
    select
        j.*,
        case when j.target > 0 then j.actual / j.target end as pct_of_target,
        case when j.stretch > 0 then j.actual / j.stretch end as pct_of_stretch,
        progress_status(j.actual, j.target, j.expected_to_date, j.expected_share, j.qualifier,
                        j.quarter_number, j.rejected, p.behind, p.severely_behind) as status,
        target_level(j.actual, j.target, j.stretch, j.qualifier) as level,
        year_end_projection(j.actual, j.baseline, j.expected_share, j.cumulative) as projection,
        greatest(coalesce(j.expected_to_date, 0) - coalesce(j.actual, 0), 0) as gap_to_expected
    from joined as j
    cross join params as p
)
select * from final;
