-- stg_submissions: every receipt of a file, with its quarter parsed.
-- Grain: one row per submission_id.
create or replace view stg_submissions as
with source as (
    select * from raw_submissions
),
final as (
    select
        submission_id,
        file_hash,
        unit,
        quarter,
        cast(substr(quarter, 1, 4) as integer) as year,
        cast(substr(quarter, 6, 1) as integer) as quarter_number,
        received_at,
        source_path,
        identity_from,
        readable,
        read_error
    from source
)
select * from final;
