-- int_submission_rows: how many data rows of each submission were accepted and how many
-- quarantined, as its latest verdict left them, by the quarter they were loaded for.
-- Grain: one row per (quarter, submission_id) with at least one row.
create or replace view int_submission_rows as
with row_counts as (
    select quarter, submission_id, count(*) as rows_accepted, 0 as rows_quarantined
    from stg_accepted_values
    group by quarter, submission_id
    union all
    select quarter, submission_id, 0 as rows_accepted, count(*) as rows_quarantined
    from stg_quarantine_rows
    group by quarter, submission_id
),
final as (
    select
        quarter,
        submission_id,
        sum(rows_accepted) as rows_accepted,
        sum(rows_quarantined) as rows_quarantined
    from row_counts
    group by quarter, submission_id
)
select * from final;
