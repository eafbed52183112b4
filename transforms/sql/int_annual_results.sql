-- int_annual_results: the year-end result of every unit and of the city on every
-- indicator: met (完成, at the floor 确保 or the stretch 力争) or missed (未完成, with the
-- shortfall), and the attainment the ranking averages. Judged on the Q4 figures of
-- int_progress; the rules are in docs/progress.md ("Year-end assessment").
--   result       完成 | 未完成 | 不考核 (no absolute target: 无目标 or 缺少基数 without one)
--   grade        力争 | 确保 for a met target (a ceiling kept is 确保); null otherwise
--   shortfall    floor − actual for a missed target (the whole floor when no figure
--                counts); for a ceiling exceeded, actual − ceiling
--   excess       actual − floor for a met target above its floor (超额)
--   attainment   this year's work done over the year's work, in [0, 1.2]: a flow
--                actual / target; a stock (actual − start) / (target − start); a ceiling
--                1 when kept, else ceiling / actual; 0 without a figure
-- Grain: one row per (year, scope, indicator_id); scope is a unit code or 'city'.
create or replace view int_annual_results as
with year_end as (
    select * from int_progress where quarter_number = 4
),
judged as (
    select
        y.*,
        y.target * (1 - y.tolerance) as floor_value,
        case
            when y.target is null then '不考核'
            when y.level in ('floor_met', 'stretch_met', 'within_ceiling') then '完成'
            else '未完成'
        end as result,
        case
            when y.level = 'stretch_met' then '力争'
            when y.level in ('floor_met', 'within_ceiling') then '确保'
        end as grade
    from year_end as y
),
final as (
    select
        j.*,
        case
            when j.result <> '未完成' then null
            when j.qualifier = 'max' then j.actual - j.target
            else greatest(j.floor_value - coalesce(j.actual, 0), 0)
        end as shortfall,
        case
            when j.result = '完成' and j.qualifier <> 'max' and j.actual > j.target + 1e-9
                then j.actual - j.target
        end as excess,
        case
            when j.result = '不考核' then null
            when j.actual is null then 0.0
            when j.qualifier = 'max'
                then case when j.actual <= j.target + 1e-9 then 1.0
                          else j.target / nullif(j.actual, 0) end
            when j.start_level is not null and j.start_level > 0 and j.target > j.start_level
                then least(greatest((j.actual - j.start_level) / (j.target - j.start_level), 0), 1.2)
            when j.target > 0 then least(greatest(j.actual / j.target, 0), 1.2)
        end as attainment
    from judged as j
)
select * from final;
