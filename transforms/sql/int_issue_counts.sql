-- int_issue_counts: how many errors and warnings each run found in each submission.
-- Grain: one row per (run_id, submission_id) with at least one issue.
create or replace view int_issue_counts as
with issues as (
    select run_id, submission_id, severity
    from stg_submission_issues
),
final as (
    select
        run_id,
        submission_id,
        count(*) filter (where severity = 'error') as errors,
        count(*) filter (where severity = 'warning') as warnings
    from issues
    group by run_id, submission_id
)
select * from final;
