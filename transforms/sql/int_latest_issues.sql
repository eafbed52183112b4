-- int_latest_issues: what each submission's latest verdict found — the issues of the most
-- recent run that recorded any for it. A verdict depends only on the file's content and
-- the rules in force, so a file judged again by a later run is judged by that run; the
-- issues earlier runs found stay in stg_submission_issues as history.
-- Order of runs: started_at (a run missing from runs counts as the oldest), then run_id.
-- Grain: one row per issue of each submission's latest judging run.
create or replace view int_latest_issues as
with judged as (
    select
        i.*,
        dense_rank() over (
            partition by i.submission_id order by r.started_at desc nulls last, i.run_id desc
        ) as recency
    from stg_submission_issues as i
    left join stg_runs as r using (run_id)
),
final as (
    select * exclude (recency)
    from judged
    where recency = 1
)
select * from final;
