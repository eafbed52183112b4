-- mart_quarantined_values: the figures left out of the submission that counts for each
-- unit and quarter (int_latest_submissions), with why, as the briefs list them.
-- Grain: one row per quarantined row of each (unit, quarter)'s submission in use.
create or replace view mart_quarantined_values as
with held as (
    select
        s.quarter,
        s.unit,
        q.indicator_id,
        q.row_number,
        q.raw_value,
        q.reasons,
        q.reason_codes
    from stg_quarantine_rows as q
    join int_latest_submissions as s using (submission_id)
),
final as (
    select
        h.quarter,
        h.unit,
        u.name as unit_name,
        u.ordinal as unit_ordinal,
        h.indicator_id,
        d.name as indicator_name,
        h.row_number,
        h.raw_value,
        h.reasons,
        h.reason_codes
    from held as h
    left join dim_unit as u
        on u.plan_year = cast(substr(h.quarter, 1, 4) as integer) and u.unit = h.unit
    left join dim_indicator as d
        on d.plan_year = cast(substr(h.quarter, 1, 4) as integer) and d.indicator_id = h.indicator_id
)
select * from final;
