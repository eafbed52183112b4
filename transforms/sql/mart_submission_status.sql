-- mart_submission_status: for every unit that reports anything, what it sent for the
-- quarter — how many files, which one counts, when it arrived, how many rows were
-- accepted or left out, and how many problems its latest verdict found (int_latest_issues).
--   state: 已采用 (a valid submission counts), 整份退回 (files came, none usable),
--          未报送 (nothing came)
-- Grain: one row per (quarter, unit) for every reporting quarter and reporting unit.
create or replace view mart_submission_status as
with reporting_units as (
    select plan_year, unit from int_reporting_units
),
receipts as (
    select
        unit,
        quarter,
        count(*) as receipts,
        max_by(submission_id, received_at) as last_submission_id,
        max(received_at) as last_received_at
    from stg_submissions
    where unit is not null
    group by unit, quarter
),
issues as (
    select
        submission_id,
        count(*) filter (where severity = 'error') as errors,
        count(*) filter (where severity = 'warning') as warnings
    from int_latest_issues
    group by submission_id
),
row_counts as (
    select submission_id, count(*) as rows_accepted, 0 as rows_quarantined from stg_accepted_values
    group by submission_id
    union all
    select submission_id, 0, count(*) from stg_quarantine_rows group by submission_id
),
rows_per_submission as (
    select submission_id, sum(rows_accepted) as rows_accepted,
           sum(rows_quarantined) as rows_quarantined
    from row_counts
    group by submission_id
),
joined as (
    select
        q.quarter,
        u.unit,
        d.name as unit_name,
        d.office,
        d.ordinal,
        coalesce(r.receipts, 0) as receipts,
        l.submission_id,
        coalesce(l.submission_id, r.last_submission_id) as shown_submission_id,
        l.received_at,
        l.first_received_at,
        r.last_received_at,
        case
            when l.submission_id is not null then '已采用'
            when r.receipts > 0 then '整份退回'
            else '未报送'
        end as state
    from int_reporting_quarters as q
    join reporting_units as u on u.plan_year = q.year
    join dim_unit as d on d.plan_year = q.year and d.unit = u.unit
    left join receipts as r on r.unit = u.unit and r.quarter = q.quarter
    left join int_latest_submissions as l on l.unit = u.unit and l.quarter = q.quarter
),
final as (
    select
        j.*,
        f.original_name,
        coalesce(rc.rows_accepted, 0) as rows_accepted,
        coalesce(rc.rows_quarantined, 0) as rows_quarantined,
        coalesce(i.errors, 0) as errors,
        coalesce(i.warnings, 0) as warnings
    from joined as j
    left join stg_submissions as s on s.submission_id = j.shown_submission_id
    left join stg_files as f on f.file_hash = s.file_hash
    left join rows_per_submission as rc on rc.submission_id = j.submission_id
    left join issues as i on i.submission_id = j.shown_submission_id
)
select * from final;
