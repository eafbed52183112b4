"""Small frames changed without polars' query planning.

A file's check handles some ten frames of 10–100 rows. Each polars ``filter``,
``with_columns``, ``join`` or ``drop`` on such a frame plans a lazy query first:
0.1–0.4 ms, against microseconds for the work. These helpers do the same with
the frame's columns as they are (``tests/test_validate_frames.py`` holds each to
the polars operation it replaces).
"""

from __future__ import annotations

import polars as pl


def rows_where(frame: pl.DataFrame, keep: list[bool]) -> pl.DataFrame:
    """``frame.filter(keep)``; no filter at all when ``keep`` keeps every row or none."""
    if all(keep):
        return frame
    if not any(keep):
        return frame.clear()
    return frame.filter(pl.Series(keep, dtype=pl.Boolean))


def without(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``frame.drop(column)``, for a column the frame has or not."""
    return pl.DataFrame([c for c in frame.get_columns() if c.name != column])


def with_series(frame: pl.DataFrame, series: list[pl.Series]) -> pl.DataFrame:
    """``frame.with_columns(series)``: a column of the same name replaced where it stands,
    the others added at the end, in their order."""
    given = {s.name: s for s in series}
    columns = [given.pop(c.name, c) for c in frame.get_columns()]
    return pl.DataFrame(columns + list(given.values()))
