"""Numbers, dates and target wording, as Chinese readers expect them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as clock

from markupsafe import Markup

from plantrack.periods import Quarter


def _decimals(uom: str) -> int | None:
    """Fixed decimals for money and ratios; None: as few as the value needs (counts)."""
    return 2 if uom in ("亿元", "万元", "%", "个百分点", "") else None


def format_number(value: float | None, uom: str = "家") -> str:
    """亿元 and ratios to two decimals, thousands separators, counts without decimals."""
    if value is None:
        return "—"
    digits = _decimals(uom)
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def format_percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def shorten(text: str | None, limit: int = 60) -> str:
    """A steward's note as a brief shows it: whole when short, else cut with a mark (…)."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_date(day: date | datetime | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def format_time(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def css_string(text: object) -> Markup:
    """Text for a CSS string literal: every ASCII character but letters, digits and space
    is written as a six-digit escape, so nothing can end the string or the style element."""

    def safe(c: str) -> bool:
        return (c.isascii() and (c.isalnum() or c == " ")) or (ord(c) > 0x7F and c.isprintable())

    return Markup("".join(c if safe(c) else f"\\{ord(c):06x}" for c in str(text)))


def report_date(quarter: Quarter) -> date:
    """Briefs are dated the 10th day after the quarter ends, the scheduled run day."""
    return quarter.end_date + timedelta(days=10)


def format_deadline(deadline: datetime) -> str:
    if deadline.time() == clock(0, 0):  # midnight reads as the end of the day before
        return f"{format_date(deadline - timedelta(days=1))}24时"
    return f"{format_date(deadline)}{deadline:%H:%M}"


def display_unit(row: dict) -> str:
    """The unit the figures are in: an increase target is judged on the level it raises."""
    if row["qualifier"] == "increase_by":
        return "%" if row["unit_of_measure"] == "个百分点" else ""
    return row["unit_of_measure"]


def target_note(row: dict, tolerance: float) -> str:
    """What kind of target this is, in words, where the number alone would mislead."""
    q, uom = row["qualifier"], row["unit_of_measure"]
    if q == "increase_by" and row.get("baseline") is not None:
        step = (
            f"提高{row.get('nominal_target', 0):g}个百分点"
            if uom == "个百分点"
            else f"增长{row.get('nominal_target', 0):g}%"
        )
        return f"以2020年{format_number(row['baseline'], '')}为基数{step}"
    if q == "increase_by":
        return "缺少2020年基数"
    return {
        "approx": f"左右（±{tolerance * 100:g}%以内视为达到）",
        "max": "控制在此以内",
        "range": "区间目标",
        "exact": "",
        "share": "比例目标",
    }.get(q, "")
