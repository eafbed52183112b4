"""The stages of the quarterly run as plain functions.

``flows/quarterly.py`` orchestrates these with Prefect; tests and benchmarks
call them directly. No stage reads settings or the environment: everything
arrives as arguments. A stage returns what it computed (the verdicts with the
run's checks added, the paths it wrote, the finished summary) and leaves its
arguments as they were.

The run's record (``RunSummary``, its row in ``runs``, ``finish``) is
``plantrack.run_record``, re-exported here: the flow calls every stage as ``pipeline.*``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from plantrack.catalog import Catalog
from plantrack.catalog_tables import refresh_catalog_tables
from plantrack.fixit import write_fixit
from plantrack.inbox import Ignored, read_regular_file, scan_inbox
from plantrack.issues import Issue
from plantrack.landing import (
    Landing,
    Received,
    archive_file,
    land_raw_many,
    load_verdicts,
    record_unreadable,
    stamp_receipts,
)
from plantrack.periods import Quarter
from plantrack.plans import previous_catalog
from plantrack.quality import (
    build_data_docs,
    fixit_href,
    quality_report,
    store_validation_details,
    submission_deadline,
    write_quality_page,
)
from plantrack.reader import match_unit
from plantrack.report import BriefsFailed, render_quarter_briefs
from plantrack.run_record import (  # noqa: F401 (re-exported: the flow and tests use pipeline.*)
    STALE_RUN,
    RunSummary,
    behind_indicators,
    fail_run,
    fail_stale_runs,
    finish,
    finish_run,
    new_run_id,
    published,
)
from plantrack.settings import Settings
from plantrack.validate import (
    Validation,
    check_file,
    check_files,
    previous_values,
    with_cross_file_checks,
    with_history,
)
from transforms.models import run_models
from warehouse.db import transaction

log = logging.getLogger("plantrack")


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

    def after_load(self) -> FileOutcome:
        """What the run reads of this outcome once it is loaded: no submission (its cells
        and rows are in the warehouse) and the verdict's ``Validation.after_load``."""
        validation = self.validation.after_load() if self.validation is not None else None
        return dataclasses.replace(self, submission=None, validation=validation)


def discover(inbox: Path) -> list[Path]:
    """Every received file in the quarter's inbox, in a stable order (links never followed;
    ``plantrack.inbox.scan_inbox`` also says what it left out and why)."""
    return scan_inbox(inbox).files


def ingest_file(
    path: Path, catalog: Catalog, quarter: Quarter, archive: Path, suites_dir: Path
) -> FileOutcome:
    """Archive one file unchanged, read it and validate it. Never raises for bad input.

    The verdict is the same one ``plantrack check`` gives (``validate.check_file``).
    """
    data = read_regular_file(path)  # read once: the bytes judged are the bytes archived
    received = archive_file(path, archive, data=data)
    verdict = check_file(received.archived_path, catalog, quarter, suites_dir, display_name=received.name)
    if verdict.unreadable is not None:
        return FileOutcome(received, verdict.unreadable.unit or None, unreadable=verdict.unreadable)
    return FileOutcome(
        received, verdict.validation.unit, validation=verdict.validation, submission=verdict.submission
    )


def ingest_batch(
    paths: list[Path], catalog: Catalog, quarter: Quarter, archive: Path, suites_dir: Path
) -> list[FileOutcome]:
    """``ingest_file`` for each path, with one validation per suite for the whole batch
    (``validate.check_files``): the same verdicts, a fraction of the GX cost."""
    received = []
    for path in paths:
        data = read_regular_file(path)  # read once: the bytes judged are the bytes archived
        received.append(archive_file(path, archive, data=data))
    verdicts = check_files([(r.archived_path, r.name) for r in received], catalog, quarter, suites_dir)
    return [_outcome(r, v) for r, v in zip(received, verdicts, strict=True)]


def _outcome(received: Received, verdict) -> FileOutcome:
    if verdict.unreadable is not None:
        return FileOutcome(received, verdict.unreadable.unit or None, unreadable=verdict.unreadable)
    return FileOutcome(
        received, verdict.validation.unit, validation=verdict.validation, submission=verdict.submission
    )


def batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def batches_by_unit(paths: list[Path], size: int, catalog: Catalog) -> list[list[Path]]:
    """``batches`` of the files, those whose names suggest the same unit next to each other:
    a batch validates each unit's files in one GX run (``ingest_batch``), so fewer units
    per batch is fewer runs. Only the grouping depends on the name, never a verdict."""
    return batches(sorted(paths, key=lambda p: (match_unit(p.stem, catalog.units) or "", str(p))), size)


def load(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    quarter: Quarter,
    catalog: Catalog,
    outcomes: list[FileOutcome],
    settings: Settings,
    trust_mtimes: bool = False,
) -> list[FileOutcome]:
    """One transaction: models, the run, raw files and cells, verdicts, catalog tables.

    Returns the outcomes with the run's checks added (``apply_run_checks``): those are the
    verdicts stored, and the ones the fix-it workbooks and the summary must show, without
    the rows the load consumed (``FileOutcome.after_load``). A run killed part way through
    leaves the warehouse exactly as it was.
    """
    outcomes, _ = distinct_contents(outcomes)
    with transaction(con):
        run_models(con)  # first: the run's checks read models (views follow what is loaded)
        outcomes = with_receipt_times(con, outcomes, trust_mtimes)
        checked = apply_run_checks(con, quarter, catalog, outcomes)
        fail_stale_runs(con)
        con.execute("insert into runs values (?, ?, now(), null, 'running', null)", [run_id, quarter.code])
        land_raw_many(
            con,
            [
                Landing(
                    o.received,
                    o.submission,
                    quarter.code,
                    o.unit,
                    o.unreadable.message if o.unreadable else None,
                )
                for o in checked
            ],
        )
        for o in checked:
            if o.unreadable is not None:
                record_unreadable(con, run_id, o.received, o.unreadable)
        judged = [o for o in checked if o.validation is not None]
        load_verdicts(con, run_id, quarter.code, [(o.received, o.validation) for o in judged])
        store_validation_details(
            con, run_id, quarter.code, [(o.received.submission_id, o.validation) for o in judged]
        )
        refresh_catalog_tables(
            con,
            catalog,
            settings.thresholds.behind,
            settings.thresholds.severely_behind,
            settings.thresholds.approx_tolerance,
            previous=previous_catalog(settings, catalog.year),
        )
    return [o.after_load() for o in checked]


def distinct_contents(outcomes: list[FileOutcome]) -> tuple[list[FileOutcome], list[Ignored]]:
    """One outcome per content: the same bytes under two names in one inbox are one
    submission (the first name in the inbox's order), never counted twice; the others listed."""
    first: dict[str, FileOutcome] = {}
    duplicates = []
    for o in outcomes:
        kept = first.setdefault(o.received.file_hash, o)
        if kept is not o:
            duplicates.append(
                Ignored(o.received.name, f"与“{kept.received.name}”内容完全相同，按同一次报送计，未重复采用")
            )
    return list(first.values()), duplicates


def with_receipt_times(con, outcomes: list[FileOutcome], trust_mtimes: bool = False) -> list[FileOutcome]:
    """The outcomes with their receipt time from when plantrack first saw each file
    (``landing.stamp_receipts``), not from its mtime, which the sender controls;
    ``trust_mtimes`` only for the demo, whose files play submissions sent days ago."""
    vouched = {o.received.path: o.received.received_at for o in outcomes} if trust_mtimes else None
    stamped = stamp_receipts(con, [o.received for o in outcomes], vouched)
    return [dataclasses.replace(o, received=r) for o, r in zip(outcomes, stamped, strict=True)]


def apply_run_checks(
    con, quarter: Quarter, catalog: Catalog, outcomes: list[FileOutcome]
) -> list[FileOutcome]:
    """The outcomes (in their order) with history (last quarter's accepted figures) and
    cross-file checks added to their verdicts.

    These depend on the warehouse and on all files of the run, so they sit outside the
    cached per-file ingest; running them again replaces rather than duplicates.
    """
    judged = sorted((o for o in outcomes if o.validation is not None), key=lambda o: o.received.received_at)
    before: dict[str, dict[str, float]] = {}  # one query per unit, not per file
    with_past = []
    for o in judged:
        validation = o.validation
        if o.unit and not validation.rejected:
            if o.unit not in before:
                before[o.unit] = previous_values(con, o.unit, quarter)
            validation = with_history(validation, catalog, before[o.unit])
        with_past.append(validation)
    checked = with_cross_file_checks(with_past, catalog)
    replaced = {id(o): dataclasses.replace(o, validation=v) for o, v in zip(judged, checked, strict=True)}
    return [replaced.get(id(o), o) for o in outcomes]


def latest_outcomes(outcomes: list[FileOutcome]) -> dict[str, FileOutcome]:
    """Each unit's most recently received, readable file of the run."""
    return {
        o.unit: o
        for o in sorted(outcomes, key=lambda o: o.received.received_at)
        if o.unit and o.validation is not None
    }


def write_fixits(
    outcomes: list[FileOutcome], folder: Path, catalog: Catalog | None = None, quarter: Quarter | None = None
) -> dict[str, Path]:
    """<folder>/<unit>.xlsx for each unit whose latest readable file has issues, or whose
    files could none be read (stale ones removed).

    With the catalog, each is the unit's template for the quarter carrying her values (the
    blank template, with the reason, for a file that cannot be read).
    """
    written = {}
    unreadable = {  # each unit's last unreadable file: its fix-it unless a readable one came
        o.unit: o
        for o in sorted(outcomes, key=lambda o: o.received.received_at)
        if o.unit and o.unreadable is not None
    }
    for unit, o in (unreadable | latest_outcomes(outcomes)).items():
        target = folder / f"{unit}.xlsx"
        if o.issues:
            written[unit] = write_fixit(
                o.received.archived_path,
                o.issues,
                target,
                file_name=o.received.name,
                catalog=catalog,
                quarter=quarter,
                unit=unit,
                saved_at=o.received.received_at,  # the same file, problems: the same bytes
            )
        else:
            target.unlink(missing_ok=True)
    return written


def write_quality_outputs(
    con,
    catalog: Catalog,
    quarter: Quarter,
    run_id: str,
    outcomes: list[FileOutcome],
    out_dir: Path,
    suites_dir: Path,
    ignored: list[Ignored] = (),
) -> dict[str, list[str]]:
    """Fix-it workbooks per unit, and the data-quality page with GX Data Docs for engineers:
    ``{"fixit": [...], "quality": [page, data docs]}``.

    Data Docs cover each unit's latest file, the verdicts that count this quarter:
    GX renders ~0.1 s per validation, too slow to redo for every file of a large run.
    """
    fixits = write_fixits(outcomes, out_dir / "fixit", catalog, quarter)
    docs: list[Path] = []
    try:  # Data Docs are for engineers: never fail the run for them
        docs = [
            build_data_docs(
                {o.received.submission_id[:16]: o.validation for o in latest_outcomes(outcomes).values()},
                suites_dir,
                out_dir / "data_docs",
                run_id,
            )
        ]
    except Exception:
        log.exception("GX Data Docs could not be built")
    report = quality_report(
        con,
        catalog,
        quarter,
        submission_deadline(quarter),
        run_id=run_id,
        fixit_links={u: fixit_href(u) for u in fixits},
        data_docs_href="data_docs/index.html" if docs else "",
    )
    report = dataclasses.replace(report, ignored=[i.to_dict() for i in ignored])
    page = write_quality_page(report, out_dir / "quality.html")
    return {"fixit": [str(p) for p in fixits.values()], "quality": [str(p) for p in (page, *docs)]}


def render_briefs(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    out_dir: Path,
    issuer: str,
    font_cache: Path,
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """The city brief and one brief per unit with targets, rendered on every core.

    Returns ``(outputs, failed)``: kind → PDF paths of those made, and scope → why for any
    brief that could not be rendered (all the others are made and published all the same).
    """
    try:
        paths, failed = render_quarter_briefs(con, catalog, quarter, out_dir, issuer, font_cache), {}
    except BriefsFailed as exc:
        paths, failed = dict(exc.rendered), exc.failed
    city = [paths.pop(scope) for scope in ("city", "assessment:city") if scope in paths]
    return {"briefs": city, "unit_briefs": list(paths.values())}, failed
