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
from plantrack.fixit import write_fixit
from plantrack.issues import Issue
from plantrack.landing import (
    Landing,
    Received,
    archive_file,
    land_raw_many,
    load_verdicts,
    record_unreadable,
)
from plantrack.periods import Quarter
from plantrack.quality import (
    build_data_docs,
    fixit_href,
    quality_report,
    store_validation_details,
    submission_deadline,
    write_quality_page,
)
from plantrack.report import render_quarter_briefs
from plantrack.settings import Settings
from plantrack.validate import (
    Validation,
    check_file,
    previous_values,
    with_cross_file_checks,
    with_history,
)
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


def units_without_submission(catalog: Catalog, outcomes: list[FileOutcome]) -> list[str]:
    """Units with indicators to report that sent nothing this run, in configured order."""
    sent = {o.unit for o in outcomes if o.unit}
    return [u.code for u in catalog.reporting_units()
            if catalog.indicators_for(u.code) and u.code not in sent]


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
    """Archive one file unchanged, read it and validate it. Never raises for bad input.

    The verdict is the same one ``plantrack check`` gives (``validate.check_file``).
    """
    data = path.read_bytes()  # read once: the bytes judged are exactly the bytes archived
    received = archive_file(path, archive, data=data)
    verdict = check_file(received.archived_path, catalog, quarter, suites_dir,
                         display_name=path.name)
    if verdict.unreadable is not None:
        return FileOutcome(received, verdict.unreadable.unit or None, unreadable=verdict.unreadable)
    return FileOutcome(received, verdict.validation.unit, validation=verdict.validation,
                       submission=verdict.submission)


def ingest_batch(paths: list[Path], catalog: Catalog, quarter: Quarter, archive: Path,
                 suites_dir: Path) -> list[FileOutcome]:
    return [ingest_file(p, catalog, quarter, archive, suites_dir) for p in paths]


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# Code whose change must invalidate cached ingest results (a package: every module in it).
_INGEST_CODE = ("plantrack/reader", "plantrack/validate.py", "plantrack/issues.py",
                "plantrack/landing.py", "transforms/cleaning.py", "plantrack/pipeline.py")


def ingest_fingerprint(settings: Settings, quarter: Quarter) -> str:
    """What an ingest result depends on besides the file: quarter, catalog, suites, code."""
    from plantrack.settings import PROJECT_ROOT

    digest = hashlib.sha256(quarter.code.encode())
    sources = [settings.catalog_path, settings.units_path, settings.allocation_path,
               settings.baselines_path, *sorted(settings.suites_dir.glob("*.json")),
               *(p for f in _INGEST_CODE for p in _code_files(PROJECT_ROOT / f))]
    for path in sources:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def load(con: duckdb.DuckDBPyConnection, run_id: str, quarter: Quarter, catalog: Catalog,
         outcomes: list[FileOutcome], settings: Settings) -> None:
    """One transaction: the run, raw files and cells, verdicts, catalog tables, models.

    A run killed part way through leaves the warehouse exactly as it was.
    """
    with transaction(con):
        apply_run_checks(con, quarter, catalog, outcomes)
        con.execute("insert into runs values (?, ?, now(), null, 'running', null)",
                    [run_id, quarter.code])
        land_raw_many(con, [
            Landing(o.received, o.submission, quarter.code, o.unit,
                    o.unreadable.message if o.unreadable else None)
            for o in outcomes
        ])
        for o in outcomes:
            if o.unreadable is not None:
                record_unreadable(con, run_id, o.received, o.unreadable)
        judged = [o for o in outcomes if o.validation is not None]
        load_verdicts(con, run_id, quarter.code, [(o.received, o.validation) for o in judged])
        store_validation_details(con, run_id, quarter.code,
                                 [(o.received.submission_id, o.validation) for o in judged])
        refresh_catalog_tables(con, catalog, settings.thresholds.behind,
                               settings.thresholds.severely_behind,
                               settings.thresholds.approx_tolerance)
        run_models(con)


def apply_run_checks(con, quarter: Quarter, catalog: Catalog, outcomes: list[FileOutcome]) -> None:
    """History (last quarter's accepted figures) and cross-file checks, added to the verdicts.

    These depend on the warehouse and on all files of the run, so they sit outside the
    cached per-file ingest; running them again replaces rather than duplicates.
    """
    judged = sorted((o for o in outcomes if o.validation is not None),
                    key=lambda o: o.received.received_at)
    before: dict[str, dict[str, float]] = {}  # one query per unit, not per file
    for o in judged:
        if o.unit and not o.validation.rejected:
            if o.unit not in before:
                before[o.unit] = previous_values(con, o.unit, quarter)
            o.validation = with_history(o.validation, catalog, before[o.unit])
    checked = with_cross_file_checks([o.validation for o in judged], catalog)
    for o, v in zip(judged, checked, strict=True):
        o.validation = v


def latest_outcomes(outcomes: list[FileOutcome]) -> dict[str, FileOutcome]:
    """Each unit's most recently received, readable file of the run."""
    return {o.unit: o for o in sorted(outcomes, key=lambda o: o.received.received_at)
            if o.unit and o.validation is not None}


def write_fixits(outcomes: list[FileOutcome], folder: Path, catalog: Catalog | None = None,
                 quarter: Quarter | None = None) -> dict[str, Path]:
    """<folder>/<unit>.xlsx for each unit whose latest file has issues (stale ones removed).

    With the catalog, each is the unit's template for the quarter carrying her values.
    """
    written = {}
    for unit, o in latest_outcomes(outcomes).items():
        target = folder / f"{unit}.xlsx"
        if o.issues:
            written[unit] = write_fixit(o.received.archived_path, o.issues, target,
                                        file_name=o.received.path.name, catalog=catalog,
                                        quarter=quarter, unit=unit)
        else:
            target.unlink(missing_ok=True)
    return written


def write_quality_outputs(con, catalog: Catalog, quarter: Quarter, summary: RunSummary,
                          out_dir: Path, suites_dir: Path) -> list[Path]:
    """Fix-it workbooks per unit, GX Data Docs for engineers, and the data-quality page.

    Data Docs cover each unit's latest file, the verdicts that count this quarter:
    GX renders ~0.1 s per validation, too slow to redo for every file of a large run.
    """
    fixits = write_fixits(summary.files, out_dir / "fixit", catalog, quarter)
    docs: list[Path] = []
    try:  # Data Docs are for engineers: never fail the run for them
        docs = [build_data_docs({o.received.submission_id[:16]: o.validation
                                 for o in latest_outcomes(summary.files).values()},
                                suites_dir, out_dir / "data_docs", summary.run_id)]
    except Exception:
        log.exception("GX Data Docs could not be built")
    report = quality_report(con, catalog, quarter, submission_deadline(quarter),
                            run_id=summary.run_id, fixit_links={u: fixit_href(u) for u in fixits},
                            data_docs_href="data_docs/index.html" if docs else "")
    return [write_quality_page(report, out_dir / "quality.html"), *fixits.values(), *docs]


def behind_indicators(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> list[str]:
    rows = con.execute(
        "select indicator_id || ' ' || name from mart_city_progress "
        "where quarter = ? and status in ('滞后', '严重滞后') order by indicator_id",
        [quarter.code],
    ).fetchall()
    return [r[0] for r in rows]


def render_briefs(con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter,
                  out_dir: Path, issuer: str, font_cache: Path) -> dict[str, list[Path]]:
    """The city brief and one brief per unit with targets, rendered on every core."""
    paths = render_quarter_briefs(con, catalog, quarter, out_dir, issuer, font_cache)
    return {"briefs": [paths.pop("city")], "unit_briefs": list(paths.values())}


def finish_run(con: duckdb.DuckDBPyConnection, summary: RunSummary, state: str, message: str,
               out_dir: Path) -> Path:
    con.execute("update runs set finished_at = now(), state = ?, message = ? where run_id = ?",
                [state, message, summary.run_id])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"run_{summary.run_id}.json"
    path.write_text(json.dumps({**summary.to_dict(), "state": state, "message": message},
                               ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path
