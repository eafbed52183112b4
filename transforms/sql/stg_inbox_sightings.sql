-- stg_inbox_sightings: every time plantrack saw a content at an inbox path (the receipt
-- ledger: a receipt time is when plantrack first saw a file, never the sender's mtime).
-- Grain: one row per (source_path, first_seen_at, file_hash).
create or replace view stg_inbox_sightings as
with source as (
    select * from inbox_sightings
),
final as (
    select
        file_hash,
        source_path,
        first_seen_at,
        receipt_key,
        recorded_at
    from source
)
select * from final;
