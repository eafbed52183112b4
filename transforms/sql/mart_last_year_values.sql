-- mart_last_year_values: for an indicator that continues one of last year's (dim_indicator.
-- continues: mapped in the catalog, or the same name and unit), last year's figure at the
-- same quarter, for the same scope, as the briefs print it beside this year's.
-- Grain: one row per (quarter, scope, indicator_id) that has a figure last year.
create or replace view mart_last_year_values as
with this_year as (
    select
        p.quarter,
        p.year,
        p.quarter_number,
        p.scope,
        p.indicator_id,
        d.continues
    from int_progress as p
    join dim_indicator as d on d.plan_year = p.year and d.indicator_id = p.indicator_id
    where d.continues is not null
),
final as (
    select
        t.quarter,
        t.scope,
        t.indicator_id,
        t.continues as last_year_indicator_id,
        l.quarter as last_year_quarter,
        l.actual as last_year_actual
    from this_year as t
    join int_progress as l
        on l.year = t.year - 1 and l.quarter_number = t.quarter_number
       and l.scope = t.scope and l.indicator_id = t.continues
    where l.actual is not null
)
select * from final;
