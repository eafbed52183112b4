"""Each helper of ``plantrack.validate.frames`` gives what the polars operation it replaces gives."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from plantrack.validate.frames import rows_where, with_series, without

FRAMES = [
    pl.DataFrame(
        {"row_number": [5, 6, 7], "indicator_id": ["I1", None, "I3"], "actual": [1.0, None, float("nan")]},
        schema={"row_number": pl.Int32, "indicator_id": pl.String, "actual": pl.Float64},
    ),
    pl.DataFrame(schema={"row_number": pl.Int32, "indicator_id": pl.String, "actual": pl.Float64}),
    pl.DataFrame({"row_number": [1], "indicator_id": ["I9"], "actual": [2.5]}),
]


@pytest.mark.parametrize("frame", FRAMES)
def test_rows_where_is_a_filter(frame):
    n = frame.height
    for keep in ([True] * n, [False] * n, [i % 2 == 0 for i in range(n)], [i == n - 1 for i in range(n)]):
        assert_frame_equal(rows_where(frame, keep), frame.filter(pl.Series(keep, dtype=pl.Boolean)))


@pytest.mark.parametrize("frame", FRAMES)
def test_without_is_a_drop(frame):
    assert_frame_equal(without(frame, "indicator_id"), frame.drop("indicator_id"))
    assert_frame_equal(without(frame, "absent"), frame.drop("absent", strict=False))


@pytest.mark.parametrize("frame", FRAMES)
def test_with_series_is_with_columns(frame):
    n = frame.height
    series = [
        pl.Series("note", ["x"] * n, dtype=pl.String),
        pl.Series("actual", list(range(n)), dtype=pl.Int64),  # replaced where it stands
        pl.Series("codes", [["a"]] * n, dtype=pl.List(pl.String)),
    ]
    assert_frame_equal(with_series(frame, series), frame.with_columns(series))
    assert with_series(frame, series).columns == ["row_number", "indicator_id", "actual", "note", "codes"]
