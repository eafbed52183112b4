-- int_indicator_targets: each indicator's target for each scope and quarter, made
-- absolute, with the start-of-year level and the progress expected by the end of the
-- quarter (序时进度). The rules are in docs/progress.md.
--   target          the floor (确保) as a number: increase_by targets made absolute from
--                   their baseline; for max, the ceiling
--   stretch         the 力争 figure, or the high end of a range
--   tolerance       for approx (左右): reaching target × (1 − tolerance) counts as reaching it
--   start_level     where the year starts: 0 for a flow, the 2020 year-end level for a stock
--   expected_to_date start_level + share × (target − start_level), in whole units for a
--                   count (int_pacing_rules), and for the city's additive count no more
--                   than its units' sum; null when the target has
--                   no quarterly meaning (year_end pacing before Q4) or a stock has no start
--                   level (before Q4: at Q4 the whole target is due)
-- Grain: one row per (plan_year, scope, indicator_id, quarter_number); scope is a unit code
-- or 'city'. Every plan's targets are here, each paced by its own plan's profiles.
create or replace view int_indicator_targets as
with quarters as (
    select unnest([1, 2, 3, 4]) as quarter_number
),
scopes as (
    select plan_year, indicator_id, unit as scope, target, stretch from dim_indicator_unit
    union all
    select plan_year, indicator_id, 'city' as scope, target, stretch from dim_indicator
),
unit_baselines as (
    -- an additive indicator's city level can be the sum of every unit's level
    select b.plan_year, b.indicator_id, sum(b.value) as value, count(*) as units_with_baseline
    from dim_baseline as b
    join dim_indicator_unit as iu
        on iu.plan_year = b.plan_year and iu.indicator_id = b.indicator_id and iu.unit = b.unit
    group by b.plan_year, b.indicator_id
),
unit_counts as (
    select plan_year, indicator_id, count(*) as units from dim_indicator_unit
    group by plan_year, indicator_id
),
with_baseline as (
    select
        s.plan_year,
        s.scope,
        i.indicator_id,
        i.name,
        i.unit_of_measure,
        i.qualifier,
        i.cumulative,
        i.additive,
        i.pacing,
        s.target as nominal_target,
        coalesce(s.stretch, case when i.qualifier = 'range' and (s.scope = 'city' or not i.additive)
                                 then i.range_max end) as nominal_stretch,
        coalesce(
            own.value,
            -- a non-additive indicator's unit figure is the city figure
            case when s.scope <> 'city' and not i.additive then city.value end,
            case when s.scope = 'city' and i.additive and ub.units_with_baseline = uc.units
                 then ub.value end
        ) as baseline
    from scopes as s
    join dim_indicator as i using (plan_year, indicator_id)
    left join dim_baseline as own
        on own.plan_year = s.plan_year and own.indicator_id = s.indicator_id and own.unit = s.scope
    left join dim_baseline as city
        on city.plan_year = s.plan_year and city.indicator_id = s.indicator_id and city.unit = 'city'
    left join unit_baselines as ub on ub.plan_year = s.plan_year and ub.indicator_id = s.indicator_id
    left join unit_counts as uc on uc.plan_year = s.plan_year and uc.indicator_id = s.indicator_id
),
absolute as (
    select
        w.*,
        case
            when qualifier <> 'increase_by' then nominal_target
            when unit_of_measure = '个百分点' then baseline + nominal_target
            when unit_of_measure = '%' then baseline * (1 + nominal_target / 100)
        end as target,
        case
            when nominal_stretch is null or qualifier <> 'increase_by' then nominal_stretch
            when unit_of_measure = '个百分点' then baseline + nominal_stretch
            when unit_of_measure = '%' then baseline * (1 + nominal_stretch / 100)
        end as stretch,
        case when qualifier = 'approx' then p.approx_tolerance else 0 end as tolerance,
        case when cumulative then baseline else 0 end as start_level
    from with_baseline as w
    cross join param_status as p
),
profiles as (
    select plan_year, pacing, count(*) > 0 as has_quarters from dim_pacing group by plan_year, pacing
),
paced as (
    select
        a.*,
        q.quarter_number,
        coalesce(pr.has_quarters, false) = false and q.quarter_number < 4 as year_end_only,
        case
            when coalesce(pr.has_quarters, false) = false and q.quarter_number < 4 then null
            else coalesce(dp.share, 1.0)
        end as expected_share
    from absolute as a
    cross join quarters as q
    left join profiles as pr on pr.plan_year = a.plan_year and pr.pacing = a.pacing
    left join dim_pacing as dp
        on dp.plan_year = a.plan_year and dp.pacing = a.pacing and dp.quarter = q.quarter_number
),
expected as (
    select
        *,
        case
            when target is null or expected_share is null then null
            -- a ceiling on a level holds all year; a ceiling on a flow is used up pro rata
            when qualifier = 'max' and cumulative then target
            -- at the end of the year the whole target is due, whatever the start
            when expected_share >= 1 then target
            when start_level is null then null
            -- a count is expected in whole units (int_pacing_rules)
            else start_level + expected_amount(unit_of_measure, qualifier, expected_share,
                                               target - start_level)
        end as expected_to_date
    from paced
),
unit_expected as (
    select indicator_id, quarter_number, sum(expected_to_date) as units_expected_to_date
    from expected
    where scope <> 'city'
    group by indicator_id, quarter_number
),
final as (
    -- a count the units add up to: the city expects no more than its units do in whole
    -- units, so the city is never behind while every unit is on track (docs/progress.md)
    select
        e.* replace (
            case
                when e.scope = 'city' and e.additive and is_count_unit(e.unit_of_measure)
                     and e.qualifier <> 'max' and e.expected_share < 1
                    then least(e.expected_to_date, u.units_expected_to_date)
                else e.expected_to_date
            end as expected_to_date
        )
    from expected as e
    left join unit_expected as u using (indicator_id, quarter_number)
)
select * from final;
