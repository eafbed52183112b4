-- mart_run_problems: for the quality page, how often each problem occurred in the files
-- each unit sent last for a quarter (int_latest_receipts), and in how many units, as a
-- run's page shows them: each file with the verdict int_run_verdicts picks for the run.
-- Grain: one row per (run_id, quarter, code, severity).
create or replace view mart_run_problems as
with issues as (
    select v.page_run_id as run_id, l.quarter, i.code, i.severity, i.unit
    from int_run_verdicts as v
    join stg_submission_issues as i
        on i.run_id = v.verdict_run_id and i.submission_id = v.submission_id
    join int_latest_receipts as l on l.submission_id = v.submission_id
),
final as (
    select
        run_id,
        quarter,
        code,
        severity,
        count(*) as issues,
        count(distinct unit) as units
    from issues
    group by run_id, quarter, code, severity
)
select * from final;
