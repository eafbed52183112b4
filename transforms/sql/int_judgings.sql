-- int_judgings: which runs judged which submissions, with when each run started. A run
-- judged a file when it recorded a check or an issue for it (a clean file has checks and
-- no issues; an unreadable one an issue and no checks).
-- Grain: one row per (run_id, submission_id).
create or replace view int_judgings as
with judgings as (
    select distinct run_id, submission_id from stg_check_results
    union
    select distinct run_id, submission_id from stg_submission_issues
),
final as (
    select j.run_id, j.submission_id, r.started_at
    from judgings as j
    left join stg_runs as r using (run_id)
)
select * from final;
