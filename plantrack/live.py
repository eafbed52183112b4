"""A progress bar on the terminal for long work: the stage, and the files done so far.

``plantrack run`` and ``plantrack demo`` open one (``showing``) when standard error is a
terminal; the quarterly flow says where it is (``stage``, ``advance``) whether or not
one is open, so in logs, under a scheduler and in tests nothing is printed. rich is
imported only when a bar is shown.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_bar = None  # the open rich Progress, if any
_task = None


def wanted(stream=None) -> bool:
    """A bar is shown only on an interactive terminal."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def showing(enabled: bool) -> Iterator[None]:
    """Show the bar while the block runs (``enabled`` False: show nothing)."""
    global _bar, _task
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with bar:
        _bar, _task = bar, None
        try:
            yield
        finally:
            stage_done()
            _bar = _task = None


def stage(description: str, total: int | None = None) -> None:
    """A new stage begins (``total``: how many files it works through, if it counts)."""
    global _task
    with _lock:
        if _bar is None:
            return
        _finish_current()
        _task = _bar.add_task(description, total=total)


def advance(count: int = 1) -> None:
    with _lock:
        if _bar is not None and _task is not None:
            _bar.advance(_task, count)


def stage_done() -> None:
    with _lock:
        _finish_current()


def _finish_current() -> None:
    global _task
    if _bar is not None and _task is not None:
        task = next(t for t in _bar.tasks if t.id == _task)
        _bar.update(_task, total=task.total or 1, completed=task.total or 1)
        _task = None
