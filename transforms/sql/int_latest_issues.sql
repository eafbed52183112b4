-- int_latest_issues: what each submission's latest verdict found — the issues of the most
-- recent run that judged it. A verdict depends only on the file's content and the rules
-- in force, so a file judged again by a later run is judged by that run, even when that
-- run found nothing (a corrected rule; which runs judged it: int_judgings). The issues
-- earlier runs found stay in stg_submission_issues as history.
-- Order of runs: started_at (a run missing from runs counts as the oldest), then run_id.
-- Grain: one row per issue of each submission's latest judging run.
create or replace view int_latest_issues as
with ranked as (
    select
        run_id,
        submission_id,
        row_number() over (
            partition by submission_id order by started_at desc nulls last, run_id desc
        ) as recency
    from int_judgings
),
final as (
    select i.*
    from stg_submission_issues as i
    join ranked as l on l.run_id = i.run_id and l.submission_id = i.submission_id
    where l.recency = 1
)
select * from final;
