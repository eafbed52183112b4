-- stg_quarantine_rows: rows that validation rejected, with every reason.
-- Grain: one row per quarantined data row.
create or replace view stg_quarantine_rows as
with source as (
    select * from quarantine_rows
),
final as (
    select
        run_id,
        submission_id,
        unit,
        quarter,
        indicator_id,
        row_number,
        raw_value,
        reasons,
        reason_codes
    from source
)
select * from final;
