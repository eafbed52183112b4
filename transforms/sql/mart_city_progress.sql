-- mart_city_progress: the city figure of every indicator, per quarter.
-- Additive indicators sum the units' figures; the others take the figure of the
-- bureau (or of the only reporting unit). Each unit's share of the city's gap
-- to expected-to-date is in mart_unit_progress.gap_to_expected.
-- Grain: one row per (quarter, indicator_id).
create or replace view mart_city_progress as
with units as (
    select
        quarter,
        indicator_id,
        count(*) as units_expected,
        count(actual) as units_reported,
        count(*) filter (where rejected) as units_rejected,
        sum(actual) as sum_actual,
        max(actual) filter (where unit = 'bureau') as bureau_actual,
        any_value(actual) as any_actual,
        sum(gap_to_expected) as units_gap
    from mart_unit_progress
    group by quarter, indicator_id
),
city_targets as (
    select * from int_indicator_targets where scope = 'city'
),
params as (
    select * from param_status
),
joined as (
    select
        u.quarter,
        t.indicator_id,
        t.name,
        t.unit_of_measure,
        t.qualifier,
        t.cumulative,
        t.additive,
        t.pacing,
        t.quarter_number,
        t.target,
        coalesce(t.stretch, d.range_max) as stretch,
        t.baseline,
        t.expected_share,
        t.expected_to_date,
        case
            when t.additive then u.sum_actual
            when u.bureau_actual is not null then u.bureau_actual
            when u.units_expected = 1 then u.any_actual
        end as actual,
        u.units_expected,
        u.units_reported,
        u.units_rejected,
        u.units_gap
    from units as u
    join city_targets as t
        on t.indicator_id = u.indicator_id
       and t.quarter_number = cast(substr(u.quarter, 6, 1) as integer)
    join dim_indicator as d on d.indicator_id = t.indicator_id
),
final as (
    select
        j.*,
        case when j.target > 0 then j.actual / j.target end as pct_of_target,
        case when j.stretch > 0 then j.actual / j.stretch end as pct_of_stretch,
        progress_status(j.actual, j.target, j.expected_to_date, j.expected_share, j.qualifier,
                        j.quarter_number, j.units_reported = 0 and j.units_rejected > 0,
                        p.behind, p.severely_behind) as status,
        target_level(j.actual, j.target, j.stretch, j.qualifier) as level,
        year_end_projection(j.actual, j.baseline, j.expected_share, j.cumulative) as projection,
        case
            when j.target is null or j.actual is null or j.quarter_number >= 4 then null
            else greatest(j.target - j.actual, 0) / (4 - j.quarter_number)
        end as needed_per_quarter
    from joined as j
    cross join params as p
)
select * from final;
