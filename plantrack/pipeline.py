"""The stages of the quarterly run as plain functions.

``flows/quarterly.py`` orchestrates these with Prefect; tests and benchmarks
call them directly. No stage reads settings or the environment: everything
arrives as arguments.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from plantrack.catalog import Catalog
from plantrack.issues import Issue, Severity
from plantrack.landing import (
    Received,
    archive_file,
    land_raw,
    load_validation,
    record_unreadable,
)
from plantrack.periods import Quarter
from plantrack.reader import UnreadableFile, match_unit, read_submission
from plantrack.report import city_brief, render_brief, report_date
from plantrack.settings import Settings
from plantrack.validate import Validation, validate_submission
from transforms.models import refresh_catalog_tables, run_models
from warehouse.db import transaction

log = logging.getLogger("plantrack")
IGNORED_NAMES = (".", "~$")  # hidden files and Excel lock files


@dataclass
class FileOutcome:
    """What became of one received file."""

    received: Received
    unit: str | None
    validation: Validation | None = None
    submission: object | None = None
    unreadable: Issue | None = None

    @property
    def accepted(self) -> bool:
        return self.validation is not None and not self.validation.rejected

    @property
    def issues(self) -> list[Issue]:
        if self.unreadable:
            return [self.unreadable]
        return self.validation.issues if self.validation else []

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.is_error)


@dataclass
class RunSummary:
    run_id: str
    quarter: str
    files: list[FileOutcome] = field(default_factory=list)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    behind: list[str] = field(default_factory=list)

    @property
    def rejected_files(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.accepted]

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "quarter": self.quarter,
            "files_received": len(self.files),
            "files_accepted": sum(f.accepted for f in self.files),
            "files_rejected": [
                {"file": f.received.path.name, "unit": f.unit,
                 "reason": "；".join(i.message for i in f.issues if i.is_error)}
                for f in self.rejected_files
            ],
            "rows_quarantined": sum(
                f.validation.quarantined.height for f in self.files
                if f.validation is not None and f.validation.quarantined is not None
            ),
            "issues": {"errors": sum(f.errors for f in self.files),
                       "warnings": sum(len(f.issues) - f.errors for f in self.files)},
            "indicators_behind": self.behind,
            "outputs": self.outputs,
        }


def new_run_id(quarter: Quarter) -> str:
    return f"{quarter.code}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def discover(inbox: Path) -> list[Path]:
    """Every received file in the quarter's inbox, in a stable order."""
    if not inbox.exists():
        return []
    return sorted(
        p for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith(IGNORED_NAMES) and ".part" not in p.suffixes
    )


def ingest_file(path: Path, catalog: Catalog, quarter: Quarter, archive: Path,
                suites_dir: Path) -> FileOutcome:
    """Archive one file unchanged, read it and validate it. Never raises for bad input."""
    received = archive_file(path, archive)
    try:
        submission = read_submission(path, catalog.units)
    except UnreadableFile as exc:
        unit = match_unit(path.stem, catalog.units)
        issue = Issue("unreadable", Severity.ERROR, f"无法读取：{exc}",
                      "请用 Excel 打开该文件确认内容完整，另存为 .xlsx 后重新报送。",
                      file=path.name, unit=unit or "")
        return FileOutcome(received, unit, unreadable=issue)
    validation = validate_submission(submission, catalog, quarter, suites_dir)
    return FileOutcome(received, validation.unit, validation=validation, submission=submission)


def ingest_batch(paths: list[Path], catalog: Catalog, quarter: Quarter, archive: Path,
                 suites_dir: Path) -> list[FileOutcome]:
    return [ingest_file(p, catalog, quarter, archive, suites_dir) for p in paths]


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# Code whose change must invalidate cached ingest results.
_INGEST_CODE = ("plantrack/reader.py", "plantrack/validate.py", "plantrack/issues.py",
                "plantrack/landing.py", "transforms/cleaning.py", "plantrack/pipeline.py")


def ingest_fingerprint(settings: Settings, quarter: Quarter) -> str:
    """What an ingest result depends on besides the file: quarter, catalog, suites, code."""
    from plantrack.settings import PROJECT_ROOT

    digest = hashlib.sha256(quarter.code.encode())
    sources = [settings.catalog_path, settings.units_path, settings.allocation_path,
               settings.baselines_path, *sorted(settings.suites_dir.glob("*.json")),
               *(PROJECT_ROOT / f for f in _INGEST_CODE)]
    for path in sources:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load(con: duckdb.DuckDBPyConnection, run_id: str, quarter: Quarter, catalog: Catalog,
         outcomes: list[FileOutcome], settings: Settings) -> None:
    """One transaction: the run, raw files and cells, verdicts, catalog tables, models.

    A run killed part way through leaves the warehouse exactly as it was.
    """
    with transaction(con):
        con.execute("insert into runs values (?, ?, now(), null, 'running', null)",
                    [run_id, quarter.code])
        for o in outcomes:
            land_raw(con, o.received, o.submission, quarter.code, unit=o.unit,
                     read_error=o.unreadable.message if o.unreadable else None)
            if o.unreadable is not None:
                record_unreadable(con, run_id, o.received, o.unreadable)
            elif o.validation is not None:
                load_validation(con, run_id, o.received, quarter.code, o.validation)
        refresh_catalog_tables(con, catalog, settings.thresholds.behind,
                               settings.thresholds.severely_behind)
        run_models(con)


def behind_indicators(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> list[str]:
    rows = con.execute(
        "select indicator_id || ' ' || name from mart_city_progress "
        "where quarter = ? and status in ('滞后', '严重滞后') order by indicator_id",
        [quarter.code],
    ).fetchall()
    return [r[0] for r in rows]


def render_city(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
                out_dir: Path, issuer: str, font_cache: Path) -> Path:
    brief = city_brief(con, catalog, quarter, issuer)
    target = out_dir / f"{quarter.code}_全市科技工作要点落实情况简报.pdf"
    return render_brief(brief, target, font_cache, created=report_date(quarter))


def finish_run(con: duckdb.DuckDBPyConnection, summary: RunSummary, state: str, message: str,
               out_dir: Path) -> Path:
    con.execute("update runs set finished_at = now(), state = ?, message = ? where run_id = ?",
                [state, message, summary.run_id])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"run_{summary.run_id}.json"
    path.write_text(json.dumps({**summary.to_dict(), "state": state, "message": message},
                               ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path
