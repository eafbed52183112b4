-- mart_plan_targets: each indicator's target as the plan writes it, for the note a brief
-- prints beside the figures (以2020年…为基数提高0.2个百分点). For increase_by that is the
-- step, not the level it leads to (int_indicator_targets.target); for the others it is
-- the city's figure itself. Targets are annual, so the year-end row of the city stands
-- for every quarter.
-- Grain: one row per (plan_year, indicator_id).
create or replace view mart_plan_targets as
with city_targets as (
    select * from int_indicator_targets where scope = 'city' and quarter_number = 4
),
final as (
    select
        plan_year,
        indicator_id,
        nominal_target as plan_target
    from city_targets
)
select * from final;
