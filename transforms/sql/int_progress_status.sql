-- int_progress_status: the progress rules as macros, used by int_progress for every
-- unit and the city. Thresholds come from param_status (settings), never from
-- constants here. The rules, with a worked example, are in docs/progress.md.
-- (No view: this file defines macros only.)

-- Progress is measured from the start of the year: a flow from 0, a stock from its
-- 2020 year-end level, so that "below half of expected" means half of this year's work.
--   已完成     the floor is met (level says whether the stretch is met too)
--   正常推进   progress ≥ behind × expected progress (approx: less the tolerance)
--   滞后       below that
--   严重滞后   progress < severely_behind × expected progress
--   无数据     nothing reported;  数据待核: reported but rejected
--   年末考核   the target has no quarterly meaning before Q4 (year_end pacing)
--   缺少基数   a relative target or a stock without its 2020 level: cannot be paced
--   无目标     the unit has no target of its own for this indicator
-- A ceiling (max, 控制在…以内): over the ceiling is 严重滞后 for a flow (a year-to-date
-- figure cannot come down) and 滞后 for a level; a flow above its pro-rata share of the
-- ceiling is 滞后; within it 正常推进, and 已完成 at Q4.
create or replace macro ceiling_status(actual, target, expected_to_date, cumulative, quarter_number) as
    case
        when actual > target + 1e-9 then case when cumulative then '滞后' else '严重滞后' end
        when quarter_number = 4 then '已完成'
        when not cumulative and expected_to_date is not null and actual > expected_to_date + 1e-9
            then '滞后'
        else '正常推进'
    end;

create or replace macro progress_status(
    actual, rejected, target, tolerance, start_level, expected_to_date, qualifier, cumulative,
    year_end_only, missing_baseline, quarter_number, behind, severely_behind
) as
    case
        when target is null and missing_baseline then '缺少基数'
        when target is null then '无目标'
        when year_end_only then '年末考核'
        when actual is null and rejected then '数据待核'
        when actual is null then '无数据'
        when qualifier = 'max'
            then ceiling_status(actual, target, expected_to_date, cumulative, quarter_number)
        when actual >= target * (1 - tolerance) - 1e-9 then '已完成'
        when expected_to_date is null then '缺少基数'
        -- (a level with no start level is only judged at Q4, from zero)
        when actual - coalesce(start_level, 0)
             >= (expected_to_date - coalesce(start_level, 0)) * behind * (1 - tolerance) - 1e-9
            then '正常推进'
        when actual - coalesce(start_level, 0)
             >= (expected_to_date - coalesce(start_level, 0)) * severely_behind - 1e-9
             or expected_to_date <= coalesce(start_level, 0) then '滞后'
        else '严重滞后'
    end;

-- Where the figure stands against the two-level target (确保/力争), whatever the quarter.
create or replace macro target_level(actual, target, stretch, tolerance, qualifier) as
    case
        when actual is null or target is null then null
        when qualifier = 'max'
            then case when actual <= target + 1e-9 then 'within_ceiling' else 'over_ceiling' end
        when stretch is not null and actual >= stretch - 1e-9 then 'stretch_met'
        when actual >= target * (1 - tolerance) - 1e-9 then 'floor_met'
        else 'below_floor'
    end;

-- Year-end projection: this year's progress so far, scaled by the share of the year's
-- work the pacing profile expects done by now. None before the profile starts (share 0).
create or replace macro year_end_projection(actual, start_level, expected_share, qualifier, cumulative) as
    case
        when actual is null or start_level is null or expected_share is null then null
        when qualifier = 'max' and cumulative then actual
        when expected_share <= 0 then null
        else start_level + (actual - start_level) / expected_share
    end;

-- The amount still needed per remaining quarter to reach the floor (none for a ceiling,
-- for a target judged at year end only, or after Q4).
create or replace macro needed_per_quarter(actual, target, tolerance, qualifier, year_end_only, quarter_number) as
    case
        when actual is null or target is null or qualifier = 'max' or year_end_only
             or quarter_number >= 4 then null
        else greatest(target * (1 - tolerance) - actual, 0) / (4 - quarter_number)
    end;

-- How far a scope is below its expected-to-date: its part of the shortfall. A figure
-- that is missing or rejected counts as 0, as it does in the city's sum, so a unit that
-- did not report owes all of its expected figure.
create or replace macro gap_to_expected(status, actual, expected_to_date, qualifier) as
    case
        when qualifier = 'max' then 0
        when status not in ('滞后', '严重滞后', '无数据', '数据待核') then 0
        when expected_to_date is null then null
        else greatest(expected_to_date - coalesce(actual, 0), 0)
    end;
