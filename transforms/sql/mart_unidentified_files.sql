-- mart_unidentified_files: files no reporting unit could be found for, with the quarter
-- they name (if any) and why they could not be read, for the quality page.
-- Grain: one row per receipt whose unit is unknown.
create or replace view mart_unidentified_files as
with receipts as (
    select submission_id, file_hash, quarter, received_at, read_error
    from stg_submissions
    where unit is null
),
final as (
    select
        r.submission_id,
        r.quarter,
        f.original_name,
        r.received_at,
        r.read_error
    from receipts as r
    join stg_files as f using (file_hash)
)
select * from final;
