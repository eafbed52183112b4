"""Archive received files unchanged and land what was read, with provenance.

The archive is content-addressed: a file's bytes are stored once under their
sha256, whatever it was called and however often it was sent. Landing the
same file twice changes nothing; a different file for the same unit and
quarter is a new receipt that supersedes the older one in the models
(``int_latest_submissions``), and ``int_submission_history`` shows every
receipt: which file, when it was received and what changed since the one before.

Every non-empty cell lands in ``raw_cells`` with the file hash, sheet, row,
column, cell address, raw text, kind and the number the reader read from it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from plantrack.inbox import display_name, name_bytes_hex
from plantrack.issues import Issue
from plantrack.reader import Submission, cells_frame
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
    receipt_key: str = ""  # set by ``stamp_receipts`` for a content received again

    @property
    def submission_id(self) -> str:
        return f"{self.file_hash}:{self.receipt_key}" if self.receipt_key else self.file_hash

    @property
    def name(self) -> str:
        """The file's name as text that can be stored and shown (a GBK name decoded)."""
        return display_name(self.path.name)

    @property
    def source(self) -> str:
        """Where it was received, as storable text (``name``'s decoding, for the whole path)."""
        return display_name(str(self.path))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, archive_dir: Path, data: bytes | None = None) -> Received:
    """Copy ``path`` into the content-addressed archive (once) and describe the receipt.

    The bytes are hashed as they are copied, so the archived copy is exactly what
    the hash names even if the inbox file changes meanwhile; the copy is renamed
    into place only when complete. Pass ``data`` (the bytes already read, e.g. to
    hand the same bytes to the reader) to archive exactly those.
    """
    if data is not None:
        received = receive(path, archive_dir, data)
        if not received.archived_path.exists():
            _write_atomically(received.archived_path, data)
        return received
    received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    archive_dir.mkdir(parents=True, exist_ok=True)
    tmp = archive_dir / f".incoming-{uuid.uuid4().hex}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        target = _archived_path(archive_dir, digest.hexdigest(), path)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return Received(path, digest.hexdigest(), target, size, received_at)


def receive(path: Path, archive_dir: Path, data: bytes) -> Received:
    """The receipt of ``data`` (the bytes read from ``path``), not archived yet.

    Land it with ``Landing(..., data=data)``: ``land_raw_many`` archives the
    bytes (on its writer thread, beside the inserts) before landing any row of
    them, so the warehouse never names a file the archive does not hold.
    """
    received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    file_hash = hashlib.sha256(data).hexdigest()
    return Received(path, file_hash, _archived_path(archive_dir, file_hash, path), len(data), received_at)


# -- receipt time: when plantrack first saw a content at a path ---------------------


def arrival_time(path: Path) -> datetime:
    """When ``path`` got its current content on this machine, as naive UTC: its inode change
    time, which writing, copying or unpacking the file sets and ``touch -d`` cannot set back
    (the mtime is the sender's to choose). Never later than now."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        return min(datetime.fromtimestamp(path.lstat().st_ctime, UTC).replace(tzinfo=None), now)
    except OSError:  # gone from the inbox since it was read: seen now
        return now


def stamp_receipts(
    con: duckdb.DuckDBPyConnection, received: list[Received], vouched: dict[Path, datetime] | None = None
) -> list[Received]:
    """Each file with its receipt time and key from the inbox ledger (``inbox_sightings``),
    recording the sightings not there yet. Callers own the transaction.

    - The content a path held the last time plantrack looked: the same receipt as then.
    - A new content at a path: received when it arrived (``arrival_time``), whatever its mtime.
    - A content received before (the same bytes sent again, under this name or another,
      after something else): a new receipt, the latest if it is the last one sent, so that
      a steward who re-sends her earlier version gets that version counted.
    - A content landed before the ledger existed: its first receipt, as landed then.

    ``vouched``: receipt times a trusted writer of the inbox states (the demo, which plays
    files sent days ago), used instead of the arrival time for those paths.
    """
    if not received:
        return []
    sources = [r.source for r in received]
    last_at_path = {
        row[0]: row[1:]
        for row in con.execute(
            "select source_path, arg_max(file_hash, recorded_at), arg_max(first_seen_at, recorded_at), "
            "arg_max(receipt_key, recorded_at) from inbox_sightings "
            "where source_path in (select unnest(?::varchar[])) group by source_path",
            [sources],
        ).fetchall()
    }
    hashes = [r.file_hash for r in received]
    sighted = {
        row[0]
        for row in con.execute(
            "select distinct file_hash from inbox_sightings where file_hash in (select unnest(?::varchar[]))",
            [hashes],
        ).fetchall()
    }
    landed = dict(
        con.execute(
            "select file_hash, min(received_at) from raw_submissions where submission_id = file_hash "
            "and file_hash in (select unnest(?::varchar[])) group by file_hash",
            [hashes],
        ).fetchall()
    )
    stamped, new_rows = [], []
    for r in received:
        last = last_at_path.get(r.source)
        if last is not None and last[0] == r.file_hash:
            stamped.append(replace(r, received_at=last[1], receipt_key=last[2]))
            continue
        arrived = (vouched or {}).get(r.path) or arrival_time(r.path)
        if r.file_hash in sighted:
            at, key = arrived, arrived.isoformat()
        elif r.file_hash in landed:
            at, key = landed[r.file_hash], ""
        else:
            at, key = arrived, ""
        sighted.add(r.file_hash)
        new_rows.append((r.file_hash, r.source, at, key, datetime.now(UTC).replace(tzinfo=None)))
        stamped.append(replace(r, received_at=at, receipt_key=key))
    insert_rows(con, "inbox_sightings", new_rows)
    return stamped


def _archived_path(archive_dir: Path, file_hash: str, path: Path) -> Path:
    suffix = path.suffix.lower() if path.suffix.isascii() else ""  # a path stored as text
    return archive_dir / file_hash[:2] / f"{file_hash}{suffix}"


def _write_atomically(target: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    tmp = target.parent / f".incoming-{uuid.uuid4().hex}.part"
    try:
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:  # the first file of this hash prefix
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


RAW_CELL_COLUMNS = (
    "file_hash",
    "sheet",
    "row_number",
    "column_letter",
    "column_number",
    "cell",
    "header",
    "record_key",
    "raw_text",
    "value_kind",
    "parsed_value",
    "parse_code",
)
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
            _write_atomically(item.received.archived_path, item.data)
    ids = [item.received.submission_id for item in batch]
    known = {
        row[0]
        for row in con.execute(
            "select submission_id from raw_submissions where submission_id in (select unnest(?::varchar[]))",
            [ids],
        ).fetchall()
    }
    flags = []
    for item in batch:
        sid = item.received.submission_id
        flags.append(sid not in known and sid not in seen)
        seen.add(sid)
    fresh = [item for item, new in zip(batch, flags, strict=True) if new]
    if fresh:
        _insert_frame(
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
        _insert_frame(con, "raw_files", files.with_columns(first_seen_at=pl.lit(now)), conflict=True)
        _insert_cells(con, [f for f in _first_of_each_content(con, fresh) if f.submission is not None])
    return flags


def _first_of_each_content(con: duckdb.DuckDBPyConnection, fresh: list[Landing]) -> list[Landing]:
    """The landings whose content has no cells yet: a content received again (a new
    receipt of the same bytes) shares its cells, by file hash, with its first receipt."""
    hashes = [f.received.file_hash for f in fresh]
    have = {
        row[0]
        for row in con.execute(
            "select distinct file_hash from raw_cells where file_hash in (select unnest(?::varchar[]))",
            [hashes],
        ).fetchall()
    }
    first = []
    for f in fresh:
        if f.received.file_hash not in have:
            have.add(f.received.file_hash)
            first.append(f)
    return first


def _insert_cells(con: duckdb.DuckDBPyConnection, landed: list[Landing]) -> None:
    """Every cell of a batch of files in one frame: built once, not once per file."""
    parts = [(item.received.file_hash, item.submission.cell_parts()) for item in landed]
    read = [(h, p) for h, p in parts if not isinstance(p, pl.DataFrame)]
    frames = [cells_frame(read)] if read else []
    frames += [p.with_columns(file_hash=pl.lit(h)) for h, p in parts if isinstance(p, pl.DataFrame)]
    frame = pl.concat([f.select(RAW_CELL_COLUMNS) for f in frames]) if frames else None
    if frame is not None and frame.height:
        _insert_frame(con, "raw_cells", frame)


def _insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, conflict: bool = False
) -> None:
    """Bulk insert through Arrow, naming the columns (tables gain columns over time)."""
    con.register("landing_frame", frame.to_arrow())
    try:
        columns = ", ".join(frame.columns)
        con.execute(
            f"insert into {table} ({columns}) select {columns} from landing_frame"
            + (" on conflict do nothing" if conflict else "")
        )
    finally:
        con.unregister("landing_frame")


def load_validation(
    con: duckdb.DuckDBPyConnection, run_id: str, received: Received, quarter: str, validation: Validation
) -> None:
    """Store one submission's verdict (see ``load_verdicts``)."""
    load_verdicts(con, run_id, quarter, [(received, validation)])


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """One bulk insert of positional rows in the table's column order (executemany is ~50× slower)."""
    if not rows:
        return
    columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    _insert_frame(con, table, pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None))


def load_verdicts(
    con: duckdb.DuckDBPyConnection, run_id: str, quarter: str, verdicts: list[tuple[Received, Validation]]
) -> None:
    """Store many submissions' verdicts with one statement per table.

    Issues are kept per run (check results too, in ``quality.store_validation_details``);
    accepted, quarantined and milestone rows are the submission's latest verdict
    (replaced). Callers own the transaction.
    """
    if not verdicts:
        return
    rows: dict[str, list[tuple]] = {
        t: [] for t in ("submission_issues", "accepted_values", "quarantine_rows", "milestone_reports")
    }
    parsed: list[tuple] = []
    for received, v in verdicts:
        sid = received.submission_id
        rows["submission_issues"] += _issue_rows(run_id, sid, v.unit, v.issues)
        if v.accepted is not None:
            rows["accepted_values"] += [
                (run_id, sid, v.unit, quarter, r["indicator_id"], r["actual"], r["actual_cell"], r["note"])
                for r in v.accepted.iter_rows(named=True)
            ]
        if v.quarantined is not None:
            rows["quarantine_rows"] += [
                (
                    run_id,
                    sid,
                    v.unit,
                    quarter,
                    r["indicator_id"],
                    r["row_number"],
                    r["actual_raw"],
                    r["reasons"],
                    r["reason_codes"],
                )
                for r in v.quarantined.iter_rows(named=True)
            ]
        if v.milestones is not None:
            rows["milestone_reports"] += [
                (run_id, sid, v.unit, quarter, r["milestone_id"], r["status"], r["note"], r["status_cell"])
                for r in v.milestones.iter_rows(named=True)
                if r["milestone_id"]
            ]
        parsed += _parsed_rows(received.file_hash, v)
    sids = [received.submission_id for received, _ in verdicts]
    for table in ("accepted_values", "quarantine_rows", "milestone_reports"):
        con.execute(f"delete from {table} where submission_id in (select unnest(?))", [sids])
    for table, table_rows in rows.items():
        insert_rows(con, table, table_rows)
    _store_parsed_values(con, parsed)


def _parsed_rows(file_hash: str, validation: Validation) -> list[tuple]:
    out = []
    for frame in (validation.accepted, validation.quarantined):
        if frame is None or not frame.height:
            continue
        out += [
            (file_hash, sheet, cell, value)
            for sheet, cell, value in frame.select("sheet", "actual_cell", "actual").iter_rows()
            if value is not None
        ]
    return out


def _store_parsed_values(con, parsed: list[tuple]) -> None:
    """Keep the number read from each value cell beside its raw text."""
    if not parsed:
        return
    frame = pl.DataFrame(parsed, schema=["file_hash", "sheet", "cell", "actual"], orient="row")
    con.register("parsed_frame", frame.to_arrow())
    try:
        con.execute(
            "update raw_cells set parsed_value = p.actual from parsed_frame as p "
            "where raw_cells.file_hash = p.file_hash and raw_cells.sheet = p.sheet "
            "and raw_cells.cell = p.cell"
        )
    finally:
        con.unregister("parsed_frame")


def _issue_rows(run_id: str, sid: str, unit: str | None, issues: list[Issue]) -> list[tuple]:
    return [
        (
            run_id,
            sid,
            unit or i.unit,
            i.code,
            str(i.severity),
            i.file,
            i.sheet,
            i.cell,
            i.indicator_id,
            i.found,
            i.expected,
            i.message,
            i.hint,
        )
        for i in issues
    ]


def _insert_issues(con, run_id: str, sid: str, unit: str | None, issues: list[Issue]) -> None:
    insert_rows(con, "submission_issues", _issue_rows(run_id, sid, unit, issues))


def record_unreadable(con, run_id: str, received: Received, issue: Issue) -> None:
    _insert_issues(con, run_id, received.submission_id, None, [issue])
