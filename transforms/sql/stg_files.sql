-- stg_files: every distinct file received, by content, and where its bytes are archived.
-- Grain: one row per file_hash.
create or replace view stg_files as
with source as (
    select * from raw_files
),
final as (
    select
        file_hash,
        original_name,
        archived_path,
        size_bytes,
        first_seen_at
    from source
)
select * from final;
