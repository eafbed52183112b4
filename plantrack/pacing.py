"""A unit's expected-to-date (序时进度) from the catalog, for checks that run before loading.

The warehouse computes the same figure in SQL (``int_indicator_targets`` with the
macros of ``int_pacing_rules``); this is the same rule for the per-file check (a
figure behind its expected-to-date needs a 说明) and for the demo's sample figures.
tests/test_assessment.py holds the two to the same answers on the 2021 plan.
"""

from __future__ import annotations

import math
import re

from plantrack.catalog import Catalog, Indicator

# Units of measure counted in whole units (家, 个, 项 …); the SQL macro is_count_unit.
# The whole unit is a count word, maybe with a parenthesis (人(项), 场(次)); 个百分点 is not.
COUNT_UNITS = (
    "家",
    "个",
    "项",
    "支",
    "场",
    "所",
    "人",
    "人次",
    "件",
    "名",
    "次",
    "座",
    "套",
    "台",
    "篇",
    "部",
    "批",
    "户",
    "条",
    "处",
)
_COUNT = re.compile("(" + "|".join(COUNT_UNITS) + ")([(（].*[)）])?")


def is_count_unit(unit_of_measure: str | None) -> bool:
    return bool(_COUNT.fullmatch(unit_of_measure or ""))


def start_and_target(catalog: Catalog, ind: Indicator, unit: str) -> tuple[float | None, float | None]:
    """(start-of-year level, absolute target) of ``unit`` — 0 for a flow, None when unknown."""
    target, _ = catalog.unit_target(ind, unit)
    if target is None:
        return None, None
    own = catalog.baseline(ind.id, unit)
    city = catalog.baseline(ind.id)
    base = own or (city if not ind.additive else None)  # a non-additive unit uses the city's
    value = base.value if base else None
    if ind.is_relative:
        if value is None or ind.unit not in ("个百分点", "%"):
            return None, None
        target = value + target if ind.unit == "个百分点" else value * (1 + target / 100)
    return (value if ind.cumulative else 0.0), target


def expected_to_date(catalog: Catalog, ind: Indicator, unit: str, quarter: int) -> float | None:
    """What ``unit`` should have reached by the end of ``quarter`` (None: no quarterly meaning)."""
    start, target = start_and_target(catalog, ind, unit)
    share = catalog.expected_share(ind, quarter)
    if target is None or (share is None and quarter < 4):
        return None
    share = 1.0 if share is None else share
    if ind.qualifier == "max" and ind.cumulative:
        return target
    if share >= 1:
        return target
    if start is None:
        return None
    amount = share * (target - start)
    if is_count_unit(ind.unit) and ind.qualifier != "max":
        amount = math.floor(amount + 1e-9)
    return start + amount
