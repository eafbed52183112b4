-- int_run_verdicts: whose verdict a run's quality page shows for each unit's latest file
-- of the quarter (int_latest_receipts). The run's own when it judged the file; else the
-- verdict of the latest earlier run that did, so that a file no longer in the inbox keeps
-- the errors it had instead of passing by default (which runs judged which file:
-- int_judgings).
-- With the errors and warnings of that verdict (int_issue_counts).
-- Grain: one row per (page_run_id, submission_id) for every latest file judged by then.
create or replace view int_run_verdicts as
with pages as (
    select r.run_id, r.started_at, l.submission_id
    from stg_runs as r
    join int_latest_receipts as l on l.quarter = r.quarter
),
ranked as (
    select
        p.run_id as page_run_id,
        p.submission_id,
        j.run_id as verdict_run_id,
        row_number() over (
            partition by p.run_id, p.submission_id
            order by j.run_id = p.run_id desc, j.started_at desc nulls last, j.run_id desc
        ) as pick
    from pages as p
    join int_judgings as j
        on j.submission_id = p.submission_id
        and (j.run_id = p.run_id or j.started_at <= p.started_at or j.started_at is null)
),
final as (
    select
        r.page_run_id,
        r.submission_id,
        r.verdict_run_id,
        coalesce(c.errors, 0) as errors,
        coalesce(c.warnings, 0) as warnings
    from ranked as r
    left join int_issue_counts as c
        on c.run_id = r.verdict_run_id and c.submission_id = r.submission_id
    where r.pick = 1
)
select * from final;
