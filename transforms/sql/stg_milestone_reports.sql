-- stg_milestone_reports: milestone progress as reported (status not yet checked).
-- Grain: one row per reported milestone row.
create or replace view stg_milestone_reports as
with source as (
    select * from milestone_reports
),
final as (
    select
        run_id,
        submission_id,
        unit,
        quarter,
        milestone_id,
        nullif(trim(status), '') as reported_status,
        nullif(trim(note), '') as note,
        cell as status_cell
    from source
)
select * from final;
