-- mart_city_progress: the city's progress on every indicator, per quarter, with how
-- many units reported and the units contributing to the shortfall, largest first.
-- Grain: one row per (quarter, indicator_id).
create or replace view mart_city_progress as
with city_rows as (
    select * exclude (scope) from int_progress where scope = 'city'
),
contributors as (
    select
        quarter,
        indicator_id,
        list(
            {'unit': unit, 'unit_name': unit_name, 'gap': gap_to_expected,
             'share': shortfall_share, 'status': status}
            order by gap_to_expected desc, unit_ordinal
        ) as contributors
    from mart_unit_progress
    where gap_to_expected > 0
    group by quarter, indicator_id
),
final as (
    select
        c.*,
        v.units_expected,
        v.units_reported,
        v.units_rejected,
        v.units_missing,
        coalesce(k.contributors, []) as contributors,
        d.section,
        d.item,
        d.subtask,
        d.text
    from city_rows as c
    join int_city_values as v using (quarter, indicator_id)
    join dim_indicator as d on d.plan_year = c.year and d.indicator_id = c.indicator_id
    left join contributors as k using (quarter, indicator_id)
)
select * from final;
