-- int_latest_issues: what each submission's latest verdict found — the issues of the most
-- recent run that judged it. A verdict depends only on the file's content and the rules
-- in force, so a file judged again by a later run is judged by that run, even when that
-- run found nothing (a corrected rule): a run judged a file when it recorded a check or
-- an issue for it. The issues earlier runs found stay in stg_submission_issues as history.
-- Order of runs: started_at (a run missing from runs counts as the oldest), then run_id.
-- Grain: one row per issue of each submission's latest judging run.
create or replace view int_latest_issues as
with judgings as (
    select distinct run_id, submission_id from stg_check_results
    union
    select distinct run_id, submission_id from stg_submission_issues
),
ranked as (
    select
        j.run_id,
        j.submission_id,
        row_number() over (
            partition by j.submission_id order by r.started_at desc nulls last, j.run_id desc
        ) as recency
    from judgings as j
    left join stg_runs as r using (run_id)
),
final as (
    select i.*
    from stg_submission_issues as i
    join ranked as l on l.run_id = i.run_id and l.submission_id = i.submission_id
    where l.recency = 1
)
select * from final;
