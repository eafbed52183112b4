-- mart_refused_files: for each quarter, the files that could not be used at all (unreadable,
-- another quarter, unknown unit, nothing kept), with the reasons: files received for the
-- quarter and files its runs examined (e.g. last quarter's file sent again). A file with
-- rows kept, or that counts for its unit, is not refused.
-- Grain: one row per (quarter, submission_id).
create or replace view mart_refused_files as
with examined as (
    select quarter, submission_id from stg_submissions where quarter is not null
    union
    select r.quarter, i.submission_id
    from stg_submission_issues as i
    join stg_runs as r using (run_id)
),
usable as (
    select submission_id from int_latest_submissions
),
processed as (
    select submission_id from stg_accepted_values
    union
    select submission_id from stg_quarantine_rows
    union
    select submission_id from stg_milestone_reports
),
reasons as (
    select submission_id, string_agg(distinct message, '；' order by message) as reasons
    from stg_submission_issues
    where severity = 'error'
    group by submission_id
),
final as (
    select
        e.quarter,
        s.submission_id,
        s.unit,
        f.original_name,
        s.received_at,
        u.name as unit_name,
        coalesce(r.reasons, s.read_error, '文件未能通过校验') as reasons,
        p.submission_id is not null as superseded
    from examined as e
    join stg_submissions as s on s.submission_id = e.submission_id
    join stg_files as f on f.file_hash = s.file_hash
    left join dim_unit as u
        on u.plan_year = try_cast(substr(e.quarter, 1, 4) as integer) and u.unit = s.unit
    left join reasons as r on r.submission_id = s.submission_id
    left join processed as p on p.submission_id = s.submission_id
    where s.submission_id not in (select submission_id from usable)
      and p.submission_id is null
)
select * from final;
