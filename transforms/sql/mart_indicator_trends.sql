-- mart_indicator_trends: for every scope and indicator, the path expected over each year's
-- four quarters (start level, target, expected to date) beside the figure of each quarter
-- that has one; a brief draws it for the quarters up to the one it reports.
-- Grain: one row per (year, scope, indicator_id, quarter_number), for every year with a
-- reporting quarter; scope is a unit code or 'city'.
create or replace view mart_indicator_trends as
with years as (
    select distinct year from int_reporting_quarters
),
final as (
    select
        y.year,
        t.scope,
        t.indicator_id,
        t.quarter_number,
        p.actual,
        t.start_level,
        t.target,
        t.expected_to_date,
        t.qualifier
    from years as y
    join int_indicator_targets as t on t.plan_year = y.year
    left join int_progress as p
        on p.scope = t.scope and p.indicator_id = t.indicator_id
       and p.year = y.year and p.quarter_number = t.quarter_number
)
select * from final;
