-- int_unit_values: accepted year-to-date values from each unit's latest submission,
-- and whether the unit's row for an indicator was quarantined instead.
-- Grain: one row per (unit, quarter, indicator_id) reported or quarantined.
create or replace view int_unit_values as
with latest as (
    select submission_id, unit, quarter, year, quarter_number, received_at
    from int_latest_submissions
),
accepted as (
    select a.submission_id, a.indicator_id, a.value, a.cell, a.note
    from accepted_values as a
),
quarantined as (
    select distinct q.submission_id, q.indicator_id, q.reasons
    from quarantine_rows as q
    where q.indicator_id is not null
),
final as (
    select
        l.unit,
        l.quarter,
        l.year,
        l.quarter_number,
        coalesce(a.indicator_id, q.indicator_id) as indicator_id,
        a.value as actual,
        a.cell,
        a.note,
        l.submission_id,
        q.reasons as rejected_reasons
    from latest as l
    left join accepted as a on a.submission_id = l.submission_id
    full outer join quarantined as q
        on q.submission_id = l.submission_id and q.indicator_id = a.indicator_id
    where coalesce(a.indicator_id, q.indicator_id) is not null
      and l.unit is not null
)
select * from final;
