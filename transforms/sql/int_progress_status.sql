-- int_progress_status: the status rules, as macros shared by the unit and city marts.
-- Thresholds come from param_status (settings), never from constants here.

-- 已完成: the floor (or stretch) is met; 正常推进: at or above expected-to-date;
-- 滞后: below it; 严重滞后: below severely_behind × expected-to-date;
-- 无数据: nothing reported; 数据待核: reported but rejected;
-- 年末考核: the target has no quarterly meaning before the year ends.
create or replace macro progress_status(
    actual, target, expected_to_date, expected_share, qualifier, quarter_number,
    rejected, behind, severely_behind
) as
    case
        when expected_share is null and quarter_number < 4 then '年末考核'
        when actual is null and rejected then '数据待核'
        when actual is null then '无数据'
        when target is null then '无目标'
        when qualifier = 'max' then case when actual <= target then '正常推进' else '严重滞后' end
        when actual >= target then '已完成'
        when expected_to_date is null then '年末考核'
        when actual >= expected_to_date * behind then '正常推进'
        when actual >= expected_to_date * severely_behind then '滞后'
        else '严重滞后'
    end;

-- stretch_met / floor_met / below_floor, for two-level (确保/力争) targets.
create or replace macro target_level(actual, target, stretch, qualifier) as
    case
        when actual is null or target is null then null
        when qualifier = 'max' then case when actual <= target then 'floor_met' else 'below_floor' end
        when stretch is not null and actual >= stretch then 'stretch_met'
        when actual >= target then 'floor_met'
        else 'below_floor'
    end;

-- Year-end projection from the year-to-date trajectory along the pacing profile.
create or replace macro year_end_projection(actual, baseline, expected_share, cumulative) as
    case
        when actual is null or expected_share is null or expected_share <= 0 then null
        when cumulative and baseline is not null
            then baseline + (actual - baseline) / expected_share
        when cumulative then actual
        else actual / expected_share
    end;
