-- int_latest_submissions: the submission that counts for each unit and quarter — the
-- latest valid one. A receipt is valid when it was read and validation kept rows from
-- it (accepted, quarantined or milestone rows); a file refused as a whole (unreadable,
-- wrong quarter, unknown unit) never supersedes an earlier valid one. Every receipt
-- stays queryable in raw_submissions.
-- Grain: one row per (unit, quarter) with at least one valid receipt.
create or replace view int_latest_submissions as
with processed as (
    select submission_id from stg_accepted_values
    union
    select submission_id from stg_quarantine_rows
    union
    select submission_id from stg_milestone_reports
),
receipts as (
    select
        s.*,
        s.readable and p.submission_id is not null as valid
    from stg_submissions as s
    left join processed as p using (submission_id)
    where s.unit is not null and s.quarter is not null
),
ranked as (
    select
        *,
        row_number() over (
            partition by unit, quarter, valid order by received_at desc, submission_id desc
        ) as rank_within_validity,
        count(*) over (partition by unit, quarter) as receipts,
        count(*) filter (where not valid) over (partition by unit, quarter) as invalid_receipts,
        min(received_at) over (partition by unit, quarter) as first_received_at
    from receipts
),
final as (
    select * exclude (rank_within_validity, valid)
    from ranked
    where valid and rank_within_validity = 1
)
select * from final;
