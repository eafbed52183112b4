-- mart_quarantine_summary: the values left out of the submissions in use, summarised per
-- unit and first cause (the brief shows one line per group, not one per rejected row:
-- 20,000 rejected rows are a sentence, not 389 pages).
-- Grain: one row per (quarter, unit, first reason code).
create or replace view mart_quarantine_summary as
with rows_left_out as (
    select *, coalesce(reason_codes[1], '') as code
    from mart_quarantined_values
),

final as (
    select
        quarter,
        unit,
        unit_name,
        unit_ordinal,
        code,
        count(*) as rows,
        list({'indicator_id': indicator_id, 'indicator_name': indicator_name,
              'row_number': row_number, 'raw_value': raw_value, 'reasons': reasons}
             order by row_number) as examples,
        arg_min(reasons, row_number) as first_reasons,
        min(row_number) as first_row
    from rows_left_out
    group by quarter, unit, unit_name, unit_ordinal, code
)

select * from final;
