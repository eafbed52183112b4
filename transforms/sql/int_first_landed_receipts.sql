-- int_first_landed_receipts: each content's first receipt as landed (for files landed
-- before the receipt ledger existed: their receipt time stays what it was).
-- Grain: one row per file_hash.
create or replace view int_first_landed_receipts as
with final as (
    select
        file_hash,
        min(received_at) as received_at
    from stg_submissions
    where submission_id = file_hash
    group by file_hash
)
select * from final;
