-- int_latest_submissions: the submission that counts for each unit and quarter.
-- A newer receipt supersedes older ones; older ones stay queryable in raw_submissions.
-- Grain: one row per (unit, quarter).
create or replace view int_latest_submissions as
with ranked as (
    select
        *,
        row_number() over (
            partition by unit, quarter order by received_at desc, submission_id desc
        ) as receipt_rank,
        count(*) over (partition by unit, quarter) as receipts
    from stg_submissions
    where unit is not null and quarter is not null
),
final as (
    select * exclude (receipt_rank) from ranked where receipt_rank = 1
)
select * from final;
