-- stg_cells: every non-empty cell of a file's data tables, as read, with its provenance.
-- Grain: one row per (file_hash, sheet, cell).
create or replace view stg_cells as
with source as (
    select * from raw_cells
),
final as (
    select
        file_hash,
        sheet,
        row_number,
        column_letter,
        column_number,
        cell,
        header,
        record_key,
        raw_text,
        parsed_value,
        value_kind,
        parse_code
    from source
)
select * from final;
