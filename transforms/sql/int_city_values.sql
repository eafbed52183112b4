-- int_city_values: the city figure of every indicator for every reporting quarter.
-- Additive indicators sum the figures the units reported (units that did not report, or
-- whose figure was rejected, add nothing: see units_reported / units_expected); the
-- others take the city-reported figure — the bureau's, or the sole reporting unit's.
-- Each quarter is judged by the plan of its year (dim_* plan_year = the quarter's year).
-- Grain: one row per (quarter, indicator_id).
create or replace view int_city_values as
with unit_rows as (
    select
        q.quarter,
        q.year,
        iu.indicator_id,
        iu.unit,
        v.actual,
        v.actual is null and v.rejected_reasons is not null as rejected
    from int_reporting_quarters as q
    join dim_indicator_unit as iu on iu.plan_year = q.year
    left join int_unit_values as v
        on v.quarter = q.quarter and v.unit = iu.unit and v.indicator_id = iu.indicator_id
),
rolled as (
    select
        quarter,
        year,
        indicator_id,
        count(*) as units_expected,
        count(actual) as units_reported,
        count(*) filter (where rejected) as units_rejected,
        sum(actual) as sum_actual,
        bool_or(unit = 'bureau') as bureau_reports,
        max(actual) filter (where unit = 'bureau') as bureau_actual,
        bool_or(rejected) filter (where unit = 'bureau') as bureau_rejected,
        any_value(actual) as sole_actual,
        bool_or(rejected) as any_rejected
    from unit_rows
    group by quarter, year, indicator_id
),
final as (
    select
        r.quarter,
        r.indicator_id,
        case
            when i.additive then r.sum_actual
            when r.bureau_reports then r.bureau_actual
            when r.units_expected = 1 then r.sole_actual
        end as actual,
        case
            when i.additive then r.units_reported = 0 and r.units_rejected > 0
            when r.bureau_reports then coalesce(r.bureau_rejected, false)
            else r.any_rejected and r.units_reported = 0
        end as rejected,
        r.units_expected,
        r.units_reported,
        r.units_rejected,
        r.units_expected - r.units_reported - r.units_rejected as units_missing
    from rolled as r
    join dim_indicator as i on i.plan_year = r.year and i.indicator_id = r.indicator_id
)
select * from final;
