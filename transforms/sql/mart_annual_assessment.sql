-- mart_annual_assessment: the year-end assessment (年度考核) of every indicator, for the
-- city and for each unit: result (完成/未完成), grade (确保/力争), shortfall or excess,
-- attainment, and for the city the units that missed their own targets, largest
-- shortfall first.
-- Grain: one row per (year, scope, indicator_id); scope is a unit code or 'city'.
create or replace view mart_annual_assessment as
with unit_misses as (
    select
        r.year,
        r.indicator_id,
        list({'unit': r.scope, 'unit_name': u.name, 'actual': r.actual, 'shortfall': r.shortfall,
              'note': r.note}
             order by r.shortfall desc, u.ordinal) as missed_by
    from int_annual_results as r
    join dim_unit as u on u.unit = r.scope
    where r.scope <> 'city' and r.result = '未完成'
    group by r.year, r.indicator_id
),
final as (
    select
        r.*,
        case when r.scope = 'city' then '全市' else u.name end as scope_name,
        u.ordinal as unit_ordinal,
        d.section,
        d.item,
        d.subtask,
        d.text,
        case when r.scope = 'city' then coalesce(m.missed_by, []) else [] end as missed_by
    from int_annual_results as r
    join dim_indicator as d using (indicator_id)
    left join dim_unit as u on u.unit = r.scope
    left join unit_misses as m on m.year = r.year and m.indicator_id = r.indicator_id
)
select * from final;
