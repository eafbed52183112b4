"""Archive received files unchanged and land what was read, with provenance.

The archive is content-addressed: a file's bytes are stored once under their
sha256, whatever it was called and however often it was sent. Landing the
same file twice changes nothing; a different file for the same unit and
quarter is a new receipt that supersedes the older one in the models.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from plantrack.issues import Issue
from plantrack.reader import Submission
from plantrack.validate import Validation

CHUNK = 1 << 20


@dataclass(frozen=True)
class Received:
    """A file as received: where it was, its hash and where the original is archived."""

    path: Path
    file_hash: str
    archived_path: Path
    size_bytes: int
    received_at: datetime

    @property
    def submission_id(self) -> str:
        return self.file_hash


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, archive_dir: Path) -> Received:
    """Copy ``path`` into the content-addressed archive (once) and describe the receipt."""
    file_hash = sha256_file(path)
    target = archive_dir / file_hash[:2] / f"{file_hash}{path.suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    stat = path.stat()
    received_at = datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)
    return Received(path, file_hash, target, stat.st_size, received_at)


def _already_landed(con: duckdb.DuckDBPyConnection, submission_id: str) -> bool:
    return con.execute(
        "select count(*) from raw_submissions where submission_id = ?", [submission_id]
    ).fetchone()[0] > 0


def land_raw(
    con: duckdb.DuckDBPyConnection, received: Received, submission: Submission | None,
    quarter: str, unit: str | None = None, read_error: str | None = None,
) -> bool:
    """Land one file's receipt and cells; False when this exact file was landed before.

    Callers wrap a whole load in one transaction (``warehouse.db.transaction``).
    """
    if _already_landed(con, received.submission_id):
        return False
    ident = submission.identity if submission else None
    if ident is not None:
        unit = ident.unit
        quarter = ident.quarter.code if ident.quarter else quarter
    con.execute(
        "insert into raw_files select ?, ?, ?, ?, now() where not exists "
        "(select 1 from raw_files where file_hash = ?)",
        [received.file_hash, received.path.name, str(received.archived_path),
         received.size_bytes, received.file_hash],
    )
    con.execute(
        "insert into raw_submissions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [received.submission_id, received.file_hash, unit, quarter, received.received_at, str(received.path), ident.source if ident else None,
         submission is not None, read_error],
    )
    if submission is not None and submission.cells.height:
        cells = submission.cells.with_columns(
            pl.lit(received.file_hash).alias("file_hash"),
            pl.lit(None, dtype=pl.Float64).alias("parsed_value"),
        ).select("file_hash", "sheet", "row_number", "column_letter", "cell", "header",
                 "record_key", "raw_text", "parsed_value")
        con.register("cells_frame", cells.to_arrow())
        con.execute("insert into raw_cells select * from cells_frame")
        con.unregister("cells_frame")
    return True


def load_validation(
    con: duckdb.DuckDBPyConnection, run_id: str, received: Received, quarter: str,
    validation: Validation,
) -> None:
    """Store one submission's verdict: issues, GX results, accepted and quarantined rows."""
    sid = received.submission_id
    _insert_issues(con, run_id, sid, validation.unit, validation.issues)
    if validation.expectation_results:
        con.executemany(
            "insert into expectation_results values (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, sid, f"submission_{validation.unit}", r["expectation"],
              r["column_name"], r["success"], r["unexpected_count"])
             for r in validation.expectation_results],
        )
    for table in ("accepted_values", "quarantine_rows", "milestone_reports"):
        con.execute(f"delete from {table} where submission_id = ?", [sid])
    if validation.accepted is not None and validation.accepted.height:
        con.executemany(
            "insert into accepted_values values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, sid, validation.unit, quarter, r["indicator_id"], r["actual"],
              r["actual_cell"], r["note"]) for r in validation.accepted.iter_rows(named=True)],
        )
    if validation.quarantined is not None and validation.quarantined.height:
        con.executemany(
            "insert into quarantine_rows values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, sid, validation.unit, quarter, r["indicator_id"], r["row_number"],
              r["actual_raw"], r["reasons"])
             for r in validation.quarantined.iter_rows(named=True)],
        )
    if validation.milestones is not None and validation.milestones.height:
        con.executemany(
            "insert into milestone_reports values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, sid, validation.unit, quarter, r["milestone_id"], r["status"],
              r["note"], r["status_cell"])
             for r in validation.milestones.iter_rows(named=True) if r["milestone_id"]],
        )
    _store_parsed_values(con, received.file_hash, validation)


def _store_parsed_values(con, file_hash: str, validation: Validation) -> None:
    """Keep the number read from each value cell beside its raw text."""
    frames = [f.select("sheet", "actual_cell", "actual") for f in
              (validation.accepted, validation.quarantined) if f is not None and f.height]
    if not frames:
        return
    parsed = pl.concat(frames).filter(pl.col("actual").is_not_null())
    con.register("parsed_frame", parsed.to_arrow())
    con.execute(
        "update raw_cells set parsed_value = p.actual from parsed_frame as p "
        "where raw_cells.file_hash = ? and raw_cells.sheet = p.sheet and raw_cells.cell = p.actual_cell",
        [file_hash],
    )
    con.unregister("parsed_frame")


def _insert_issues(con, run_id: str, sid: str, unit: str | None, issues: list[Issue]) -> None:
    if not issues:
        return
    con.executemany(
        "insert into submission_issues values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, sid, unit or i.unit, i.code, str(i.severity), i.file, i.sheet, i.cell,
          i.indicator_id, i.found, i.expected, i.message, i.hint) for i in issues],
    )


def record_unreadable(con, run_id: str, received: Received, issue: Issue) -> None:
    _insert_issues(con, run_id, received.submission_id, None, [issue])
