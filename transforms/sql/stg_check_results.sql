-- stg_check_results: every check run on a submission, as recorded (check_results).
-- Grain: one row per (run_id, submission_id, suite, expectation, code).
create or replace view stg_check_results as
with source as (
    select * from check_results
),
final as (
    select
        run_id,
        submission_id,
        unit,
        quarter,
        suite,
        expectation,
        code,
        severity,
        column_name,
        success,
        element_count,
        unexpected_count
    from source
)
select * from final;
