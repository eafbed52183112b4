-- mart_unit_ranking: each unit's year-end results and its place (进展排名). The rule,
-- written down in docs/progress.md: first the share of the unit's assessed targets met
-- (完成), then the mean attainment over those targets (each capped at 120%, a missing
-- figure counting 0), then the configured unit order; units equal on both share a place.
-- Units with no assessed target are not ranked.
-- Grain: one row per (year, unit).
create or replace view mart_unit_ranking as
with per_unit as (
    select
        year,
        scope as unit,
        count(*) filter (where result <> '不考核') as assessed,
        count(*) filter (where result = '完成') as met,
        count(*) filter (where result = '未完成') as missed,
        count(*) filter (where grade = '力争') as stretch_met,
        count(*) filter (where result = '未完成' and actual is null) as missing_figures,
        avg(attainment) filter (where result <> '不考核') as mean_attainment
    from int_annual_results
    where scope <> 'city'
    group by year, scope
),
shares as (
    select *, met / assessed as share_met from per_unit where assessed > 0
),
final as (
    select
        s.*,
        rank() over (partition by s.year
                     order by s.share_met desc, round(s.mean_attainment, 6) desc) as rank,
        u.name as unit_name,
        u.ordinal as unit_ordinal
    from shares as s
    join dim_unit as u using (unit)
)
select * from final;
