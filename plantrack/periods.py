"""Reporting periods: ``2021Q2`` for code, ``2021年第二季度`` for people, and their arithmetic.

Besides parsing and labels: the quarter before and after (across the year end), which
quarter has just ended at a moment in the schedule's timezone (the one a scheduled run
reports), and when a schedule fires next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUREAU_TIMEZONE = "Asia/Shanghai"  # the default of settings.timezone: receipts, deadlines, schedules
DEADLINE_DAYS = 10  # due before the 10th day after the quarter ends, when the scheduled run starts

_CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}
_QUARTER_CN = {v: k for k, v in _CN_QUARTER.items()}
_CODE_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")
_CN_RE = re.compile(r"(\d{4})\s*年\s*(?:第\s*)?([一二三四1-4])\s*季度")
_LOOSE_RE = re.compile(r"(20\d{2})[\s_\-年]*[Qq第]?([1-4一二三四])(?:季度|季|[Qq]|(?=\D|$))")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{_CN_QUARTER[self.number]}季度"

    @property
    def end_date(self) -> date:
        month = self.number * 3
        return date(self.year, month, 30 if month in (6, 9) else 31)

    def previous(self) -> Quarter | None:
        """The quarter before within the same year (year-to-date figures restart in Q1)."""
        return Quarter(self.year, self.number - 1) if self.number > 1 else None

    def preceding(self) -> Quarter:
        """The quarter before, across the year end (2021Q1 → 2020Q4)."""
        return self.previous() or Quarter(self.year - 1, 4)

    def following(self) -> Quarter:
        """The quarter after, across the year end (2021Q4 → 2022Q1)."""
        return Quarter(self.year, self.number + 1) if self.number < 4 else Quarter(self.year + 1, 1)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return self.code


def parse_quarter(text: str) -> Quarter:
    """Parse ``2021Q2`` or ``2021年第二季度``; raise ValueError with a Chinese message."""
    m = _CODE_RE.match(text or "") or _CN_RE.search(text or "")
    if not m:
        raise ValueError(f"无法识别的报告期“{text}”，应写作 YYYYQn（如第二季度写 YYYYQ2）或“YYYY年第二季度”")
    return Quarter(int(m.group(1)), _quarter_number(m.group(2)))


def find_quarter(text: str) -> Quarter | None:
    """Find a quarter anywhere in free text such as a file name, or None."""
    for pattern in (_CN_RE, _LOOSE_RE):
        m = pattern.search(text or "")
        if m:
            return Quarter(int(m.group(1)), _quarter_number(m.group(2)))
    return None


def _quarter_number(token: str) -> int:
    return _QUARTER_CN.get(token) or int(token)


def submission_deadline(quarter: Quarter, days: int = DEADLINE_DAYS) -> datetime:
    """When a quarter's submissions are due, in the bureau's local time (naive): the start of
    the 10th day after the quarter ends, i.e. the end of the 9th."""
    return datetime.combine(quarter.end_date + timedelta(days=days), time(0, 0))


def local_time(moment: datetime | None, tz: str = BUREAU_TIMEZONE) -> datetime | None:
    """A receipt time (naive UTC, as the warehouse keeps it) in the bureau's local time (naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


# -- the schedule's quarters ---------------------------------------------------


def quarter_just_ended(moment: datetime, timezone: str) -> Quarter:
    """The last complete quarter at ``moment``, by the calendar of ``timezone``."""
    return Quarter.containing(moment.astimezone(ZoneInfo(timezone)).date()).preceding()


def resolve_quarter(text: str | None, moment: datetime, timezone: str) -> Quarter:
    """A flow's ``quarter`` parameter: a named quarter, or empty for the one just ended."""
    if text is None or not text.strip():
        return quarter_just_ended(moment, timezone)
    return parse_quarter(text)


def next_runs(cron: str, timezone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` fire times of ``cron`` after ``after``, computed as Prefect's
    scheduler does, in ``timezone``."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule  # imported here: it is slow

    schedule = CronSchedule(cron=cron, timezone=timezone)
    dates = asyncio.run(schedule.get_dates(n=count, start=after))
    zone = ZoneInfo(timezone)
    return [datetime.fromisoformat(d.isoformat()).astimezone(zone) for d in dates]
