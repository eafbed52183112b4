-- mart_unit_progress: progress of every unit on every indicator it reports, per quarter,
-- with the unit's share of the city's shortfall.
-- Grain: one row per (quarter, unit, indicator_id).
create or replace view mart_unit_progress as
with unit_rows as (
    select * exclude (scope), scope as unit from int_progress where scope <> 'city'
),
final as (
    select
        p.*,
        u.name as unit_name,
        u.ordinal as unit_ordinal,
        d.section,
        d.item,
        d.subtask
    from unit_rows as p
    join dim_unit as u on u.plan_year = p.year and u.unit = p.unit
    join dim_indicator as d on d.plan_year = p.year and d.indicator_id = p.indicator_id
)
select * from final;
