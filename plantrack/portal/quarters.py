"""Which quarters accept submissions: the one the schedule runs next, or the one named.

By default the portal is open for the quarter the next scheduled quarterly run
will process (the run on 10 July processes 2021Q2, so from the 10 April run
until 10 July the portal takes 2021Q2). When the operator names a quarter with
``--quarter``, the quarter before it also stays open until its own scheduled
run, so nobody is cut off while a run is still due.

Fire times are computed once at start-up (Prefect's cron, as ``plantrack serve``
schedules them), so a request never computes a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from plantrack.periods import Quarter, submission_deadline
from plantrack.settings import Schedule

RUNS_AHEAD = 12  # three years of quarterly runs: the portal is restarted more often than that


@dataclass(frozen=True)
class Window:
    """One quarter open for submission, and the scheduled run that will process it."""

    quarter: Quarter
    run_at: datetime | None  # aware; None when the schedule never processes it

    @property
    def deadline(self) -> datetime:
        """Naive, in the bureau's time: files received after it are late (as the run judges)."""
        return submission_deadline(self.quarter)


class Calendar:
    def __init__(self, upcoming: list[Window], fixed: list[Window] | None = None):
        self.upcoming = upcoming  # from the schedule, in time order
        self.fixed = fixed  # --quarter and the quarter before it

    def open_windows(self, now: datetime) -> list[Window]:
        """The quarters open at ``now``, the main one first."""
        if self.fixed is not None:
            main, *before = self.fixed
            return [main, *(w for w in before if w.run_at is not None and w.run_at > now)]
        for window in self.upcoming:
            if window.run_at is not None and window.run_at > now:
                return [window]
        return self.upcoming[-1:]

    def main(self, now: datetime) -> Window:
        return self.open_windows(now)[0]

    def window(self, code: str, now: datetime) -> Window | None:
        return next((w for w in self.open_windows(now) if w.quarter.code == code), None)


def build_calendar(schedule: Schedule, now: datetime, quarter: Quarter | None = None) -> Calendar:
    from plantrack.periods import next_runs, resolve_quarter

    zone = schedule.timezone
    runs = next_runs(schedule.quarterly_cron, zone, now, RUNS_AHEAD)
    upcoming = []
    for run in runs:
        q = resolve_quarter("", run, zone)
        if not upcoming or upcoming[-1].quarter != q:
            upcoming.append(Window(q, run))
    if quarter is None:
        return Calendar(upcoming)
    fixed = [Window(quarter, _run_for(quarter, schedule))]
    if quarter.previous() is not None:
        fixed.append(Window(quarter.previous(), _run_for(quarter.previous(), schedule)))
    return Calendar(upcoming, fixed)


def _run_for(quarter: Quarter, schedule: Schedule) -> datetime | None:
    """The first scheduled run after the quarter ends, if that run processes it."""
    from plantrack.periods import next_runs, resolve_quarter

    zone = ZoneInfo(schedule.timezone)
    ended = datetime.combine(quarter.end_date + timedelta(days=1), time(0, 0), zone)
    run = next_runs(schedule.quarterly_cron, schedule.timezone, ended - timedelta(seconds=1))[0]
    return run if resolve_quarter("", run, schedule.timezone) == quarter else None
