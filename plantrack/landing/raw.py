"""Raw landing: each file's receipt (``raw_submissions``), the file (``raw_files``) and
every non-empty cell (``raw_cells``), with the file hash, sheet, row, column, cell address,
raw text, kind and the number the reader read from it.

Landing the same receipt twice changes nothing; a content received again shares its
cells, by file hash, with its first receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from plantrack.inbox import name_bytes_hex
from plantrack.landing.archive import Received, write_atomically
from plantrack.landing.inserts import insert_frame, present
from plantrack.reader import CELL_SCHEMA, Submission, cells_frame

RAW_CELL_COLUMNS = ("file_hash", *CELL_SCHEMA)  # raw_cells: the reader's cells, by file
RECEIPT_SCHEMA = {
    "submission_id": pl.String,
    "file_hash": pl.String,
    "unit": pl.String,
    "quarter": pl.String,
    "received_at": pl.Datetime("us"),
    "source_path": pl.String,
    "identity_from": pl.String,
    "readable": pl.Boolean,
    "read_error": pl.String,
    "file_format": pl.String,
    "encoding": pl.String,
}
FILE_SCHEMA = {
    "file_hash": pl.String,
    "original_name": pl.String,
    "archived_path": pl.String,
    "size_bytes": pl.Int64,
    "original_name_hex": pl.String,
}
BATCH_FILES = 50  # files per bulk insert: bounds memory, keeps statements few, overlaps early


@dataclass(frozen=True)
class Landing:
    """One received file and what was read from it (``submission`` is None when unreadable)."""

    received: Received
    submission: Submission | None
    quarter: str
    unit: str | None = None
    read_error: str | None = None
    data: bytes | None = None  # bytes to archive first (see ``receive``); None: archived already

    def receipt(self) -> tuple:
        sub, received = self.submission, self.received
        ident = sub.identity if sub else None
        unit = (ident.unit if ident else None) or self.unit
        quarter = ident.quarter.code if ident and ident.quarter else self.quarter
        return (
            received.submission_id,
            received.file_hash,
            unit,
            quarter,
            received.received_at,
            received.source,
            ident.source if ident else None,
            sub is not None,
            self.read_error,
            sub.file_format if sub else None,
            sub.encoding if sub else None,
        )


def land_raw(
    con: duckdb.DuckDBPyConnection,
    received: Received,
    submission: Submission | None,
    quarter: str,
    unit: str | None = None,
    read_error: str | None = None,
) -> bool:
    """Land one file's receipt and cells; False when this exact file was landed before.

    Callers wrap a whole load in one transaction (``warehouse.db.transaction``).
    """
    return land_raw_many(con, [Landing(received, submission, quarter, unit, read_error)])[0]


def land_raw_many(
    con: duckdb.DuckDBPyConnection, landings: Iterable[Landing], batch_files: int = BATCH_FILES
) -> list[bool]:
    """Land many files with one insert per table per batch; True for each file newly landed.

    A file already in the warehouse (same hash), or twice in the input, lands
    once: the later copies change nothing. Callers own the transaction. While
    one batch is written (by a single writer thread: polars and DuckDB release
    the GIL), the caller's iterator goes on reading the next, so reading and
    writing overlap; the connection is only ever used by one thread at a time.
    """
    seen: set[str] = set()
    if isinstance(landings, list | tuple) and len(landings) <= batch_files:
        return _land_batch(con, list(landings), seen) if landings else []  # nothing to overlap
    landed: list[bool] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plantrack-landing") as writer:
        pending: Future | None = None
        for batch in _batches(landings, batch_files):
            if pending is not None:
                landed += pending.result()
            pending = writer.submit(_land_batch, con, batch, seen)
        if pending is not None:
            landed += pending.result()
    return landed


def _batches(items: Iterable[Landing], size: int) -> Iterator[list[Landing]]:
    batch: list[Landing] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _land_batch(con: duckdb.DuckDBPyConnection, batch: list[Landing], seen: set[str]) -> list[bool]:
    """Archive what is not yet, then insert the receipts, files and cells not landed before."""
    for item in batch:
        if item.data is not None and not item.received.archived_path.exists():
            write_atomically(item.received.archived_path, item.data)
    known = present(con, "raw_submissions", "submission_id", [item.received.submission_id for item in batch])
    flags = []
    for item in batch:
        sid = item.received.submission_id
        flags.append(sid not in known and sid not in seen)
        seen.add(sid)
    fresh = [item for item, new in zip(batch, flags, strict=True) if new]
    if fresh:
        insert_frame(
            con,
            "raw_submissions",
            pl.DataFrame([f.receipt() for f in fresh], schema=RECEIPT_SCHEMA, orient="row"),
            conflict=True,
        )
        files = pl.DataFrame(
            [
                (
                    f.received.file_hash,
                    f.received.name,
                    str(f.received.archived_path),
                    f.received.size_bytes,
                    name_bytes_hex(f.received.path.name),
                )
                for f in fresh
            ],
            schema=FILE_SCHEMA,
            orient="row",
        )
        now = datetime.now(UTC).replace(tzinfo=None)  # timestamps are UTC, like received_at
        insert_frame(con, "raw_files", files.with_columns(first_seen_at=pl.lit(now)), conflict=True)
        _insert_cells(con, [f for f in _first_of_each_content(con, fresh) if f.submission is not None])
    return flags


def _first_of_each_content(con: duckdb.DuckDBPyConnection, fresh: list[Landing]) -> list[Landing]:
    """The landings whose content has no cells yet: a content received again (a new
    receipt of the same bytes) shares its cells, by file hash, with its first receipt."""
    have = present(con, "raw_cells", "file_hash", [f.received.file_hash for f in fresh])
    first = []
    for f in fresh:
        if f.received.file_hash not in have:
            have.add(f.received.file_hash)
            first.append(f)
    return first


CELLS_CHUNK = 100  # files whose cells are framed and inserted together


def _insert_cells(con: duckdb.DuckDBPyConnection, landed: list[Landing]) -> None:
    """Every cell of the files, a frame per ``CELLS_CHUNK`` files: not one frame per file
    (the per-frame cost), nor one for a whole quarter (a 1,000-file quarter's ~270,000
    cells held twice, as a frame and in DuckDB, at the run's peak of memory)."""
    for start in range(0, len(landed), CELLS_CHUNK):
        _insert_cells_of(con, landed[start : start + CELLS_CHUNK])


def _insert_cells_of(con: duckdb.DuckDBPyConnection, landed: list[Landing]) -> None:
    parts = [(item.received.file_hash, item.submission.cell_parts()) for item in landed]
    read = [(h, p) for h, p in parts if not isinstance(p, pl.DataFrame)]
    frames = [cells_frame(read)] if read else []
    frames += [p.with_columns(file_hash=pl.lit(h)) for h, p in parts if isinstance(p, pl.DataFrame)]
    frame = pl.concat([f.select(RAW_CELL_COLUMNS) for f in frames]) if frames else None
    if frame is not None and frame.height:
        insert_frame(con, "raw_cells", frame)
