"""What the quarterly run made of the submissions: read from the warehouse, never waited for.

The warehouse has one writer, the quarterly run, which holds an advisory lock
beside the DuckDB file (``warehouse/lock.py``) for the whole run. The portal
reads only between runs: it takes a *shared* lock on the same file without
waiting (a run waits its turn for readers of a few milliseconds, as for another
run), opens DuckDB read-only, reads two small views and closes at once. When a
run holds the lock, or any other process has the file open for writing, the
portal says so and keeps serving from its own database. Answers are kept for a
few seconds so a busy morning does not reopen the file for every page.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("plantrack.portal")
CACHE_SECONDS = 10.0

NOT_BUILT = "季度流程尚未运行过，暂无入库结果。"
BUSY = "季度流程正在运行（数仓正在写入），入库结果稍后显示；上传、校验和报送不受影响。"
UNAVAILABLE = "暂时无法读取数仓，入库结果稍后显示；上传、校验和报送不受影响。"


class WarehouseBusy(Exception):
    pass


@dataclass
class WarehouseView:
    """One quarter as the warehouse has it; ``note`` says why it is empty when it is."""

    available: bool
    note: str = ""
    receipts: dict[str, list[dict]] = field(default_factory=dict)  # file hash → its receipts
    units: dict[str, dict] = field(default_factory=dict)  # unit → mart_submission_status row
    read_at: float = 0.0


@contextmanager
def reading(warehouse_path: Path) -> Iterator[None]:
    """A shared hold on the run's lock file, or WarehouseBusy at once while a run writes.

    The lock file is the one ``warehouse.lock.writer_lock`` takes exclusively.
    """
    lock_path = warehouse_path.with_suffix(".lock")
    fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_quarter(warehouse_path: Path, quarter: str) -> WarehouseView:
    import duckdb

    if not warehouse_path.exists():
        return WarehouseView(False, NOT_BUILT, read_at=time.monotonic())
    try:
        with reading(warehouse_path):
            con = duckdb.connect(str(warehouse_path), read_only=True)
            try:
                return _query(con, quarter)
            finally:
                con.close()
    except WarehouseBusy:
        return WarehouseView(False, BUSY, read_at=time.monotonic())
    except duckdb.CatalogException:  # created, but no run has built the views yet
        return WarehouseView(False, NOT_BUILT, read_at=time.monotonic())
    except duckdb.IOException as exc:  # another process holds it open for writing
        log.info("warehouse not readable now: %s", exc)
        return WarehouseView(False, BUSY, read_at=time.monotonic())
    except (duckdb.Error, OSError):
        log.exception("warehouse read failed")
        return WarehouseView(False, UNAVAILABLE, read_at=time.monotonic())


def _rows(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _query(con, quarter: str) -> WarehouseView:
    view = WarehouseView(True, read_at=time.monotonic())
    for row in _rows(
        con.execute(
            "select submission_id, file_hash, unit, received_at, readable, read_error "
            "from stg_submissions where quarter = ? order by received_at",
            [quarter],
        )
    ):
        view.receipts.setdefault(row["file_hash"], []).append(row)
    for row in _rows(
        con.execute(
            "select unit, state, receipts, submission_id, shown_submission_id, received_at, "
            "first_received_at, last_received_at, original_name, rows_accepted, rows_quarantined, "
            "errors, warnings from mart_submission_status where quarter = ?",
            [quarter],
        )
    ):
        view.units[row["unit"]] = row
    return view


class WarehouseReader:
    """``read_quarter`` with a short cache, safe to call from the server's threads.

    Only answers read from DuckDB are kept, and only while the file is unchanged;
    whether a run is writing right now is asked every time (a lock try costs
    microseconds), so the pages say so from the moment a run starts.
    """

    def __init__(self, warehouse_path: Path, seconds: float = CACHE_SECONDS):
        self.path, self.seconds = warehouse_path, seconds
        self._cache: dict[str, tuple[tuple, WarehouseView]] = {}
        self._lock = threading.Lock()

    def quarter(self, code: str) -> WarehouseView:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return WarehouseView(False, NOT_BUILT, read_at=time.monotonic())
        version = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._cache.get(code)
            if (
                cached is not None
                and cached[0] == version
                and time.monotonic() - cached[1].read_at < self.seconds
            ):
                try:
                    with reading(self.path):
                        return cached[1]
                except WarehouseBusy:
                    return WarehouseView(False, BUSY, read_at=time.monotonic())
            view = read_quarter(self.path, code)
            if view.available:
                self._cache[code] = (version, view)
            return view

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def receipt_status(view: WarehouseView, file_hash: str, unit: str) -> str:
    """What the run made of one submitted file (Chinese), for the steward's list."""
    if not view.available:
        return view.note
    receipts = [r for r in view.receipts.get(file_hash, []) if r["unit"] in (unit, None)]
    if not receipts:
        return "已收到，等待季度流程处理。"
    latest = receipts[-1]
    if not latest["readable"]:
        return f"季度流程无法读取此文件：{latest['read_error'] or '文件无法读取'}"
    status = view.units.get(unit)
    if status and status["submission_id"] == latest["submission_id"]:
        text = f"已入库并采用：入库{status['rows_accepted']}行"
        if status["rows_quarantined"]:
            text += f"，{status['rows_quarantined']}行因错误未入库"
        if status["errors"] or status["warnings"]:
            text += f"（错误{status['errors']}处，警告{status['warnings']}处）"
        return text + "。"
    if status and status["submission_id"] is not None and status["received_at"] > latest["received_at"]:
        return "已处理，本单位更晚报送的文件已取代它。"
    return "已处理，但整份未被采用（见校验结果）。"


def utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
