-- mart_latest_receipt_values: the figures accepted from the file each unit sent last for
-- each quarter (int_latest_receipts; nothing when that file was refused). The history
-- checks compare a new submission with the quarter before's.
-- Grain: one row per accepted row of each (unit, quarter)'s latest receipt.
create or replace view mart_latest_receipt_values as
with final as (
    select
        l.unit,
        l.quarter,
        l.submission_id,
        a.indicator_id,
        a.actual
    from int_latest_receipts as l
    join stg_accepted_values as a using (submission_id)
)
select * from final;
