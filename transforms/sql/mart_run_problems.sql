-- mart_run_problems: for the quality page, how often each problem occurred in a run among
-- the files each unit sent last for a quarter (int_latest_receipts), and in how many units.
-- Grain: one row per (run_id, quarter, code, severity).
create or replace view mart_run_problems as
with issues as (
    select i.run_id, l.quarter, i.code, i.severity, i.unit
    from stg_submission_issues as i
    join int_latest_receipts as l using (submission_id)
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
