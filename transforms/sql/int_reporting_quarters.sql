-- int_reporting_quarters: the quarters progress is computed for — every quarter with a
-- run or a valid submission.
-- Grain: one row per quarter.
create or replace view int_reporting_quarters as
with candidates as (
    select quarter from stg_runs
    union
    select quarter from int_latest_submissions
),
final as (
    select
        quarter,
        cast(substr(quarter, 1, 4) as integer) as year,
        cast(substr(quarter, 6, 1) as integer) as quarter_number
    from candidates
    where regexp_full_match(quarter, '[0-9]{4}Q[1-4]')
)
select * from final;
