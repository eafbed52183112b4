-- mart_milestone_progress: the status of every milestone for each responsible unit and
-- for the city, per quarter. A unit's status is what its latest valid submission says
-- (a blank status means 未启动, as the template does; a status outside the list is
-- 数据待核; no row is 未报送). The city's: 已完成 when every responsible unit has
-- finished, 推进中 when any has started, else the most telling of the rest.
-- Grain: one row per (quarter, scope, milestone_id); scope is a unit code or 'city'.
create or replace view mart_milestone_progress as
with reports as (
    select
        l.unit,
        l.quarter,
        r.milestone_id,
        min_by(r.reported_status,
               coalesce(try_cast(regexp_extract(r.status_cell, '[0-9]+') as integer), 0))
            as reported_status,
        min_by(r.note, coalesce(try_cast(regexp_extract(r.status_cell, '[0-9]+') as integer), 0))
            as note,
        true as reported
    from int_latest_submissions as l
    join stg_milestone_reports as r using (submission_id)
    group by l.unit, l.quarter, r.milestone_id
),
unit_rows as (
    select
        q.quarter,
        q.year as plan_year,
        mu.unit as scope,
        mu.milestone_id,
        case
            when r.reported is null then '未报送'
            when r.reported_status is null then '未启动'
            when r.reported_status in ('未启动', '推进中', '已完成') then r.reported_status
            else '数据待核'
        end as status,
        r.reported_status,
        r.note,
        1 as units_responsible
    from int_reporting_quarters as q
    join dim_milestone_unit as mu on mu.plan_year = q.year
    left join reports as r
        on r.quarter = q.quarter and r.unit = mu.unit and r.milestone_id = mu.milestone_id
),
city_counts as (
    select
        u.quarter,
        u.plan_year,
        u.milestone_id,
        count(*) as units_responsible,
        count(*) filter (where u.status = '已完成') as units_done,
        count(*) filter (where u.status = '推进中') as units_in_progress,
        count(*) filter (where u.status = '未启动') as units_not_started,
        count(*) filter (where u.status = '数据待核') as units_unclear,
        count(*) filter (where u.status = '未报送') as units_not_reported,
        string_agg(d.name || '：' || u.note, '；' order by d.ordinal)
            filter (where u.note is not null) as note
    from unit_rows as u
    join dim_unit as d on d.plan_year = u.plan_year and d.unit = u.scope
    group by u.quarter, u.plan_year, u.milestone_id
),
city_rows as (
    select
        quarter,
        plan_year,
        'city' as scope,
        milestone_id,
        case
            when units_done = units_responsible then '已完成'
            when units_done + units_in_progress > 0 then '推进中'
            when units_not_started > 0 then '未启动'
            when units_unclear > 0 then '数据待核'
            else '未报送'
        end as status,
        null::varchar as reported_status,
        note,
        units_responsible
    from city_counts
),
unioned as (
    select * from unit_rows
    union all
    select * from city_rows
),
final as (
    select
        x.*,
        c.units_done,
        c.units_in_progress,
        c.units_not_started,
        c.units_unclear,
        c.units_not_reported,
        m.section,
        m.item,
        m.subtask,
        m.name,
        m.text,
        m.ordinal
    from unioned as x
    join city_counts as c using (quarter, plan_year, milestone_id)
    join dim_milestone as m using (plan_year, milestone_id)
)
select * from final;
