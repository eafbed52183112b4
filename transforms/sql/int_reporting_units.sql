-- int_reporting_units: the units that report anything (an indicator or a milestone), with
-- name, office and configured order, and whether any indicator gives the unit a target of
-- its own (those units get a brief of their own).
-- Grain: one row per (plan_year, unit): each plan has its own units.
create or replace view int_reporting_units as
with reporting as (
    select plan_year, unit from dim_indicator_unit
    union
    select plan_year, unit from dim_milestone_unit
),
with_targets as (
    select distinct plan_year, unit from dim_indicator_unit where target is not null
),
final as (
    select
        d.plan_year,
        d.unit,
        d.name,
        d.office,
        d.kind,
        d.ordinal,
        t.unit is not null as has_target
    from dim_unit as d
    join reporting as r using (plan_year, unit)
    left join with_targets as t using (plan_year, unit)
)
select * from final;
