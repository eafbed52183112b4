-- mart_submission_issues: what the latest verdict found in the submission that counts for
-- each unit and quarter (int_latest_submissions), as the unit's brief lists it.
-- Grain: one row per issue of each (unit, quarter)'s submission in use.
create or replace view mart_submission_issues as
with final as (
    select
        l.quarter,
        l.unit,
        l.submission_id,
        i.run_id,
        i.code,
        i.severity,
        i.sheet,
        i.cell,
        i.indicator_id,
        i.found,
        i.expected,
        i.message,
        i.hint
    from int_latest_submissions as l
    join int_latest_issues as i using (submission_id)
)
select * from final;
