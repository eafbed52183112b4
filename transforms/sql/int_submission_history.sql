-- int_submission_history: every receipt of a unit's quarterly submission, in the
-- order received: which file, when it came, which receipt came after it, and what
-- changed since the previous readable receipt of the same unit and quarter.
-- Order: received_at, then submission_id (as int_latest_submissions ranks them);
-- which receipt counts (the latest valid one) is int_latest_submissions' to say.
-- A change is a table cell (a record's value, note, status …) whose raw text differs,
-- appeared or disappeared, matched by sheet, record (indicator/task id) and column.
-- Grain: one row per submission_id with a known unit and quarter.
create or replace view int_submission_history as
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
        f.archived_path,
        f.size_bytes,
        row_number() over receipt_order as receipt_number,
        count(*) over (partition by s.unit, s.quarter) as receipts,
        lead(s.submission_id) over receipt_order as next_submission_id,
        lead(s.received_at) over receipt_order as next_received_at,
        last_value(case when s.readable then s.submission_id end ignore nulls) over (
            receipt_order rows between unbounded preceding and 1 preceding
        ) as compared_with
    from stg_submissions as s
    left join stg_files as f on f.file_hash = s.file_hash
    where s.unit is not null and s.quarter is not null
    window receipt_order as (partition by s.unit, s.quarter order by s.received_at, s.submission_id)
),
record_cells as (
    -- one value per file, sheet, record and column: the first row if a record repeats
    select
        file_hash,
        sheet,
        record_key,
        header,
        arg_min(cell, row_number) as cell,
        arg_min(raw_text, row_number) as raw_text,
        arg_min(parsed_value, row_number) as parsed_value
    from stg_cells
    where record_key is not null and header is not null
    group by file_hash, sheet, record_key, header
),
pairs as (
    select r.submission_id, r.file_hash as new_hash, p.file_hash as old_hash
    from receipts as r
    join receipts as p on p.submission_id = r.compared_with
    where r.readable
),
new_cells as (
    select pairs.submission_id, c.* exclude (file_hash)
    from pairs join record_cells as c on c.file_hash = pairs.new_hash
),
old_cells as (
    select pairs.submission_id, c.* exclude (file_hash)
    from pairs join record_cells as c on c.file_hash = pairs.old_hash
),
changes as (
    select
        submission_id,
        sheet,
        record_key,
        header,
        case
            when o.cell is null then 'added'
            when n.cell is null then 'removed'
            else 'changed'
        end as change,
        o.cell as old_cell,
        n.cell as new_cell,
        o.raw_text as old_text,
        n.raw_text as new_text,
        o.parsed_value as old_value,
        n.parsed_value as new_value
    from new_cells as n
    full outer join old_cells as o using (submission_id, sheet, record_key, header)
    where n.raw_text is distinct from o.raw_text
),
change_lists as (
    select
        submission_id,
        count(*) as cells_changed,
        count(distinct record_key) as records_changed,
        list(
            {
                'sheet': sheet, 'record_key': record_key, 'header': header, 'change': change,
                'old_cell': old_cell, 'new_cell': new_cell, 'old_text': old_text,
                'new_text': new_text, 'old_value': old_value, 'new_value': new_value
            }
            order by sheet, record_key, header
        ) as changes
    from changes
    group by submission_id
),
final as (
    select
        r.submission_id,
        r.file_hash,
        r.unit,
        r.quarter,
        r.receipt_number,
        r.receipts,
        r.next_submission_id is null as is_last_received,
        r.next_submission_id,
        r.next_received_at,
        r.received_at,
        r.original_name,
        r.source_path,
        r.archived_path,
        r.size_bytes,
        r.readable,
        r.read_error,
        r.compared_with,
        case when r.compared_with is not null and r.readable
            then coalesce(c.cells_changed, 0) end as cells_changed,
        case when r.compared_with is not null and r.readable
            then coalesce(c.records_changed, 0) end as records_changed,
        c.changes
    from receipts as r
    left join change_lists as c using (submission_id)
)
select * from final;
