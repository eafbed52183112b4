"""One writer at a time: an advisory lock beside the warehouse file.

A second quarterly run waits up to a limit for the first to finish, then
exits with a clear message instead of failing inside DuckDB.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    pass


@contextmanager
def writer_lock(warehouse_path: Path, wait_seconds: float = 0.0, poll: float = 0.5) -> Iterator[None]:
    lock_path = warehouse_path.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another run"
                    raise WarehouseBusy(
                        f"另一个季度流程正在写入数仓（{holder}），请等它结束后再运行。"
                        f" The warehouse {warehouse_path} is locked by {holder}."
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
