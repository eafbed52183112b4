-- int_pacing_rules: how much of a target is expected by a quarter, as macros used by
-- int_indicator_targets. A count (家, 个, 项, 支, 场, 所, 人 …) is expected in whole
-- units: a target of 1 expects nothing before the quarter its pacing reaches 1, so no
-- item is behind for a fraction of a park. The rule is in docs/progress.md; the same
-- list of count units is plantrack.pacing.COUNT_UNITS (tests compare the two).
-- (No view: this file defines macros only.)

create or replace macro is_count_unit(unit_of_measure) as
    -- the whole unit is a count word (人次, or with a parenthesis: 人(项), 场(次)); 个百分点 is not
    coalesce(regexp_full_match(unit_of_measure,
                               '(家|个|项|支|场|所|人|人次|件|名|次|座|套|台|篇|部|批|户|条|处)([(（].*[)）])?'),
             false);

-- The part of the year's work expected done by now: share × (target − start), rounded
-- down to whole units for a count (a small allowance absorbs floating-point dust).
create or replace macro expected_amount(unit_of_measure, qualifier, expected_share, amount) as
    case
        when is_count_unit(unit_of_measure) and qualifier <> 'max'
            then floor(expected_share * amount + 1e-9)
        else expected_share * amount
    end;
