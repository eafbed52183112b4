-- int_run_error_messages: the errors a run found in a submission, as one Chinese line
-- (messages in order, joined by ；), for files the page can only explain in words.
-- Grain: one row per (run_id, submission_id) with at least one error.
create or replace view int_run_error_messages as
with errors as (
    select run_id, submission_id, message
    from stg_submission_issues
    where severity = 'error'
),
final as (
    select
        run_id,
        submission_id,
        string_agg(message, '；' order by message) as messages
    from errors
    group by run_id, submission_id
)
select * from final;
