-- int_unit_values: the facts of each unit's latest valid submission — the accepted
-- year-to-date value of each indicator, or why it was left out. Two accepted rows for
-- one indicator that disagree are not guessed between: the indicator needs checking.
-- Grain: one row per (unit, quarter, indicator_id) that the latest valid submission
-- reported (accepted or quarantined).
create or replace view int_unit_values as
with latest as (
    select submission_id, unit, quarter, received_at from int_latest_submissions
),
accepted as (
    select
        submission_id,
        indicator_id,
        min(actual) as lowest,
        max(actual) as highest,
        string_agg(actual_cell, '、' order by actual_cell) as cells,
        string_agg(note, '；' order by actual_cell) as note
    from stg_accepted_values
    group by submission_id, indicator_id
),
quarantined as (
    select
        submission_id,
        indicator_id,
        string_agg(distinct reasons, '；' order by reasons) as reasons
    from stg_quarantine_rows
    where indicator_id is not null
    group by submission_id, indicator_id
),
reported as (
    select submission_id, indicator_id from accepted
    union
    select submission_id, indicator_id from quarantined
),
final as (
    select
        l.unit,
        l.quarter,
        r.indicator_id,
        case when a.lowest = a.highest then a.lowest end as actual,
        a.cells as actual_cell,
        a.note,
        l.submission_id,
        l.received_at,
        case
            when a.lowest is not null and a.lowest <> a.highest
                then '同一指标填报了多个不一致的数值（' || a.cells || '），请核实后重新报送'
            when a.lowest is null then q.reasons
        end as rejected_reasons
    from latest as l
    join reported as r using (submission_id)
    left join accepted as a using (submission_id, indicator_id)
    left join quarantined as q using (submission_id, indicator_id)
)
select * from final;
