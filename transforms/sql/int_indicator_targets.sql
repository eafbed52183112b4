-- int_indicator_targets: each indicator's target at unit and city level for each
-- quarter, with relative targets made absolute from their baselines, and the
-- share expected done by the end of the quarter (序时进度).
-- Grain: one row per (scope, indicator_id, quarter_number); scope is a unit code or 'city'.
create or replace view int_indicator_targets as
with quarters as (
    select unnest([1, 2, 3, 4]) as quarter_number
),
scopes as (
    select indicator_id, unit as scope, target, stretch from dim_indicator_unit
    union all
    select indicator_id, 'city' as scope, target, stretch from dim_indicator
),
with_baseline as (
    select
        s.scope,
        i.indicator_id,
        i.name,
        i.unit_of_measure,
        i.qualifier,
        i.cumulative,
        i.additive,
        i.pacing,
        coalesce(s.target, case when s.scope = 'city' then i.target end) as nominal_target,
        s.stretch as nominal_stretch,
        b.value as baseline
    from scopes as s
    join dim_indicator as i using (indicator_id)
    left join dim_baseline as b
        on b.indicator_id = s.indicator_id and b.unit = s.scope
),
absolute as (
    select
        *,
        case
            when qualifier = 'increase_by' and unit_of_measure = '个百分点' then baseline + nominal_target
            when qualifier = 'increase_by' and unit_of_measure = '%' then baseline * (1 + nominal_target / 100)
            when qualifier = 'increase_by' then null
            else nominal_target
        end as target,
        case
            when nominal_stretch is null then null
            when qualifier = 'increase_by' and unit_of_measure = '个百分点' then baseline + nominal_stretch
            when qualifier = 'increase_by' and unit_of_measure = '%' then baseline * (1 + nominal_stretch / 100)
            else nominal_stretch
        end as stretch
    from with_baseline
),
final as (
    select
        a.*,
        q.quarter_number,
        p.share as expected_share,
        -- a stock (level) is expected to move from its start-of-year level toward the
        -- target; a flow from zero. Without a known start level, from zero.
        case
            when p.share is null or a.target is null then null
            when a.cumulative and a.baseline is not null and a.qualifier <> 'increase_by'
                then a.baseline + p.share * (a.target - a.baseline)
            when a.qualifier = 'increase_by' and a.baseline is not null
                then a.baseline + p.share * (a.target - a.baseline)
            else p.share * a.target
        end as expected_to_date
    from absolute as a
    cross join quarters as q
    left join dim_pacing as p on p.pacing = a.pacing and p.quarter = q.quarter_number
)
select * from final;
