"""The reminder flow, a few days before the quarterly run: who has not submitted, whose
data is wrong (see ``plantrack.reminder``).

Its steps: the quarter (the one just ended, or a named one) → the list of who must
act, written to ``$PLANTRACK_HOME/out/<quarter>/reminder_<date>.txt`` → mail to each
unit that must act, when SMTP is configured → the final state. The flow decides
that state: Failed when no mail at all could be delivered (retried: the server may
be back), else Completed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.states import Completed, Failed

from plantrack import reminder
from plantrack.catalog import CatalogError
from plantrack.periods import next_runs, resolve_quarter
from plantrack.plans import PlanError, catalog_for_quarter
from plantrack.settings import load_settings


@flow(name="plantrack-reminder", log_prints=True, retries=2, retry_delay_seconds=600)
def reminder_run(quarter: str = "", inbox: str | None = None):
    settings = load_settings()
    zone = settings.schedule.timezone
    now = datetime.now(UTC).astimezone(ZoneInfo(zone))
    q = resolve_quarter(quarter, now, zone)
    try:
        catalog = catalog_for_quarter(settings, q)
    except (PlanError, CatalogError) as exc:  # no ready plan for that year: nothing to remind of
        print(exc)
        return Failed(message=str(exc))
    deadline = next_runs(settings.schedule.quarterly_cron, zone, now)[0]

    result = reminder.write_reminder_list(
        catalog,
        q,
        settings.warehouse_path,
        Path(inbox) if inbox else settings.quarter_inbox(q.code),
        settings.quarter_out(q.code),
        deadline,
        now,
    )
    if settings.smtp.enabled:
        result = reminder.mail_reminders(result, catalog, q, settings.smtp, deadline)

    print(result.message)
    if result.mail_failed:
        return Failed(message=result.message, data=result)
    return Completed(message=result.message, data=result)
