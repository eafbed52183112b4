-- int_latest_receipts: the file each unit sent last for each quarter, whatever became of
-- it (read or not, valid or not), with how many files came and when the first did. Not
-- int_latest_submissions, which keeps the latest *valid* receipt for the figures: a
-- steward must hear about the file she sent last, and the quality page judges it.
-- Order: received_at, then submission_id (as int_latest_submissions ranks them).
-- Grain: one row per (unit, quarter) with at least one receipt.
create or replace view int_latest_receipts as
with receipts as (
    select
        s.submission_id,
        s.file_hash,
        s.unit,
        s.quarter,
        s.received_at,
        s.source_path,
        s.readable,
        s.read_error,
        f.original_name,
        row_number() over (
            partition by s.unit, s.quarter order by s.received_at desc, s.submission_id desc
        ) as recency,
        count(*) over (partition by s.unit, s.quarter) as receipts,
        min(s.received_at) over (partition by s.unit, s.quarter) as first_received_at
    from stg_submissions as s
    left join stg_files as f using (file_hash)
    where s.unit is not null and s.quarter is not null
),
final as (
    select * exclude (recency)
    from receipts
    where recency = 1
)
select * from final;
