"""A run's record: its row in ``runs`` (started, failed, finished) and its summary.

``RunSummary`` is what a run found (the files and what became of them, the inbox
entries left out, the outputs written, the mail sent); ``finish`` records the run's
final state and message and writes the summary file beside the outputs.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from plantrack.atomic import write_text_atomically
from plantrack.catalog import Catalog
from plantrack.inbox import Ignored
from plantrack.periods import Quarter, parse_quarter
from plantrack.publish import PublishResult
from plantrack.summary import run_message, run_state

if TYPE_CHECKING:  # pipeline imports this module
    from plantrack.pipeline import FileOutcome


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    quarter: str
    files: list[FileOutcome] = field(default_factory=list)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # kind → paths, in stage order
    behind: list[str] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)  # inbox entries not read, with why
    mail: dict = field(default_factory=dict)  # PublishResult.to_dict(): sent, failed and why
    briefs_failed: dict[str, str] = field(default_factory=dict)  # scope → why it was not rendered

    @property
    def rejected_files(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.accepted]

    def with_outputs(self, **kinds: list[str]) -> RunSummary:
        """This summary with more outputs (kind → paths) after those it has."""
        return dataclasses.replace(self, outputs={**self.outputs, **kinds})

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "quarter": self.quarter,
            "files_received": len(self.files),
            "files_accepted": sum(f.accepted for f in self.files),
            "files_rejected": [
                {
                    "file": f.received.name,
                    "unit": f.unit,
                    "reason": "；".join(i.message for i in f.issues if i.is_error),
                }
                for f in self.rejected_files
            ],
            "rows_quarantined": sum(
                f.validation.quarantined.height
                for f in self.files
                if f.validation is not None and f.validation.quarantined is not None
            ),
            "issues": {
                "errors": sum(f.errors for f in self.files),
                "warnings": sum(len(f.issues) - f.errors for f in self.files),
            },
            "files_ignored": [i.to_dict() for i in self.ignored],
            "indicators_behind": self.behind,
            "outputs": self.outputs,
            "mail": self.mail,
            "briefs_failed": self.briefs_failed,
        }


def new_run_id(quarter: Quarter) -> str:
    return f"{quarter.code}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


STALE_RUN = "运行中断（进程被终止或崩溃），未完成"


def fail_stale_runs(con) -> None:
    """Runs still 'running' when a new one loads (it holds the writer lock, so none is): they
    were killed or crashed; recorded as failed rather than running forever."""
    con.execute(
        "update runs set state = 'failed', finished_at = now(), "
        "message = coalesce(message, ?) where state = 'running'",
        [STALE_RUN],
    )


def fail_run(con, run_id: str, message: str) -> None:
    """A run that failed after its load: failed in ``runs``, with why."""
    con.execute(
        "update runs set state = 'failed', finished_at = now(), message = ? "
        "where run_id = ? and state = 'running'",
        [message, run_id],
    )


def behind_indicators(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> list[str]:
    rows = con.execute(
        "select indicator_id || ' ' || name from mart_city_progress "
        "where quarter = ? and status in ('滞后', '严重滞后') order by indicator_id",
        [quarter.code],
    ).fetchall()
    return [r[0] for r in rows]


def published(delivered: PublishResult) -> dict[str, list[str]]:
    """The run's outputs that publishing added: the copies in the quarter's outbox."""
    return {"outbox": [str(p.outbox_path) for p in delivered.publications]}


def finish(
    con: duckdb.DuckDBPyConnection,
    summary: RunSummary,
    catalog: Catalog,
    delivered: PublishResult,
    out_dir: Path,
) -> tuple[RunSummary, str]:
    """Record the run's outcome (its state and message in ``runs``, the run summary file);
    return the finished summary (indicators behind, the file among its outputs) and the
    one-line message of the run's final state."""
    summary = dataclasses.replace(summary, behind=behind_indicators(con, parse_quarter(summary.quarter)))
    message = run_message(summary, catalog, delivered)
    path = finish_run(con, summary, run_state(summary), message, out_dir)
    return summary.with_outputs(summary=[str(path)]), message


def finish_run(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, state: str, message: str, out_dir: Path
) -> Path:
    con.execute(
        "update runs set finished_at = now(), state = ?, message = ? where run_id = ?",
        [state, message, summary.run_id],
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"run_{summary.run_id}.json"
    return write_text_atomically(
        path,
        json.dumps(
            {**summary.to_dict(), "state": state, "message": message},
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
    )
