-- stg_submission_issues: every problem a run found in a submission (one issue model:
-- see plantrack/issues.py). A file judged again by a later run has its issues again,
-- under that run.
-- Grain: one row per issue per run.
create or replace view stg_submission_issues as
with source as (
    select * from submission_issues
),
final as (
    select
        run_id,
        submission_id,
        unit,
        code,
        severity,
        file,
        sheet,
        cell,
        indicator_id,
        found,
        expected,
        message,
        hint
    from source
)
select * from final;
