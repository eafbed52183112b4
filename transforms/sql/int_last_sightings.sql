-- int_last_sightings: what each inbox path held the last time plantrack looked, and the
-- receipt it was given then (a file seen again unchanged keeps its receipt).
-- Grain: one row per source_path.
create or replace view int_last_sightings as
with final as (
    select
        source_path,
        arg_max(file_hash, recorded_at) as file_hash,
        arg_max(first_seen_at, recorded_at) as first_seen_at,
        arg_max(receipt_key, recorded_at) as receipt_key
    from stg_inbox_sightings
    group by source_path
)
select * from final;
