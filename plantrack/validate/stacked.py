"""Many files' rows in one Great Expectations validation, the results split back per file.

A GX validation costs about the same for 30 rows as for 3,000: nearly all of it is
per expectation (building its configuration, its metric graph). So the quarterly run
stacks the frames of every file checked by the same suite, with the same columns,
adds a ``__file`` column, runs the suite once, and splits each result back by that
column. A file then gets the result it would have got alone:

- row rules (values not null, in a set, between bounds, pairs in a set, a ≥ b, with
  their row conditions) judge each row on its own: the file's hits are the rows of
  the stacked hits that are its rows, its rows checked are its rows in the rule's
  domain (the row condition);
- uniqueness within a file: the stacked suite asks GX for ``[__file, column]`` to be
  unique instead (the same rows fail: duplicates inside one file, nulls ignored);
- rules about the table: every file of a group has the same columns, so "the column
  exists" is one answer for all; "the distinct values contain the set" is answered
  for each file from its own distinct values (what GX compares), since GX can only
  answer it for the union.

A suite with any other kind of rule, a ``mostly``, or a row condition of another form
is run on each file alone, as before: stacking never guesses.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import polars as pl

from plantrack.validate.frames import with_series
from plantrack.validate.gx import run_suite, suite_digest

FILE_COLUMN = "__file"
# GX's results name a row by this one text column, "<file>:<row_number>" (with two index
# columns, or numbers, a pair rule's failure cannot be written out as JSON and the rule errs)
ROW_KEY = "__file_row"
ROW_RULES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_to_be_in_set",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)
UNIQUE = "expect_column_values_to_be_unique"
EXISTS = "expect_column_to_exist"
CONTAINS = "expect_column_distinct_values_to_contain_set"
STACKABLE = ROW_RULES | {UNIQUE, EXISTS, CONTAINS}
PARTIAL = 20  # GX's partial_unexpected_list length


@dataclass
class SplitConfig:
    """The parts of an expectation's configuration the result readers use."""

    type: str
    kwargs: dict
    meta: dict
    severity: object


@dataclass
class SplitResult:
    """One expectation's result for one file of a stacked validation (as GX's result reads)."""

    expectation_config: SplitConfig
    success: bool
    result: dict
    exception_info: dict | None
    config_json: dict = field(repr=False, default_factory=dict)

    def to_json_dict(self) -> dict:
        return {
            "success": self.success,
            "expectation_config": self.config_json,
            "result": self.result,
            "meta": {},
            "exception_info": self.exception_info
            or {"raised_exception": False, "exception_traceback": None, "exception_message": None},
        }


@dataclass
class SplitSuiteResult:
    """A suite's result for one file: ``.results`` per expectation and ``.to_json_dict()``."""

    results: list[SplitResult]
    skeleton: dict  # the stacked result's JSON without its results (suite name, meta)

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def to_json_dict(self) -> dict:
        evaluated = len(self.results)
        passed = sum(r.success for r in self.results)
        return {
            **self.skeleton,
            "success": self.success,
            "results": [r.to_json_dict() for r in self.results],
            "statistics": {
                "evaluated_expectations": evaluated,
                "successful_expectations": passed,
                "unsuccessful_expectations": evaluated - passed,
                "success_percent": 100.0 * passed / evaluated if evaluated else None,
            },
        }


def _simple_condition(condition) -> bool:
    return condition is None or (
        isinstance(condition, dict)
        and condition.get("type", "comparison") == "comparison"
        and condition.get("operator") in ("==", "IN", "NOT_IN")
        and "name" in condition.get("column", {})
    )


def stackable(suite: dict) -> bool:
    """Whether every rule of ``suite`` gives each file its own result when files are stacked."""
    return all(
        e["type"] in STACKABLE
        and "mostly" not in e["kwargs"]
        and _simple_condition(e["kwargs"].get("row_condition"))
        for e in suite["expectations"]
    )


def _positioned(suite: dict) -> list[dict]:
    return [
        {**exp, "meta": {**exp["meta"], "stacked_position": n}} for n, exp in enumerate(suite["expectations"])
    ]


def stacked_suite(suite: dict) -> dict:
    """``suite`` as it runs on stacked files: uniqueness per file, the union's set rule left out."""
    expectations = []
    for exp in _positioned(suite):
        if exp["type"] == CONTAINS:
            continue  # answered per file (see the module docstring)
        if exp["type"] == UNIQUE:
            kwargs = {k: v for k, v in exp["kwargs"].items() if k != "column"}
            exp = {
                **exp,
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {
                    **kwargs,
                    "column_list": [FILE_COLUMN, exp["kwargs"]["column"]],
                    "ignore_row_if": "any_value_is_missing",
                },
            }
        expectations.append(exp)
    return {**suite, "expectations": expectations}


def _in_domain(frame: pl.DataFrame, condition) -> int:
    """How many of the frame's rows the row condition takes (all, without one)."""
    if condition is None:
        return frame.height
    column = condition["column"]["name"]
    if column not in frame.columns:
        return 0
    values = frame[column]
    if values.dtype.is_float():  # NaN equals NaN in polars, not in Python: polars decides
        return int(_in_domain_polars(values, condition).sum())
    operator, parameter = condition["operator"], condition["parameter"]
    if operator in ("IN", "NOT_IN"):
        wanted = set(parameter)
        inside = sum(1 for v in values.to_list() if v is not None and v in wanted)
        return inside if operator == "IN" else frame.height - inside  # pandas: null is not in
    return sum(1 for v in values.to_list() if v is not None and v == parameter)


def _in_domain_polars(values: pl.Series, condition) -> pl.Series:
    if condition["operator"] in ("IN", "NOT_IN"):
        inside = values.is_in(list(condition["parameter"])).fill_null(False)
        return inside if condition["operator"] == "IN" else ~inside
    return (values == condition["parameter"]).fill_null(False)


def _config(exp: dict) -> tuple[SplitConfig, dict]:
    return (
        SplitConfig(exp["type"], exp["kwargs"], exp["meta"], exp["severity"]),
        {"type": exp["type"], "kwargs": exp["kwargs"], "meta": exp["meta"], "severity": exp["severity"]},
    )


def _row_result(stacked: dict, hits: list[dict], checked: int, column: str | None) -> dict:
    unexpected = [h.get(column) for h in hits] if column else []
    return {
        "element_count": checked,
        "unexpected_count": len(hits),
        "unexpected_percent": 100.0 * len(hits) / checked if checked else 0.0,
        "partial_unexpected_list": unexpected[:PARTIAL],
        "unexpected_list": unexpected,
        "unexpected_index_list": hits,
        **({"observed_value": stacked["observed_value"]} if "observed_value" in stacked else {}),
    }


def _split(exp: dict, res, frames: list[pl.DataFrame]) -> list[SplitResult]:
    """One expectation's result for each file, from the stacked result ``res`` (None: CONTAINS)."""
    config, config_json = _config(exp)
    kwargs = exp["kwargs"]
    if exp["type"] == CONTAINS:
        wanted = set(kwargs["value_set"])
        out = []
        for frame in frames:
            seen = (
                set(frame[kwargs["column"]].drop_nulls().to_list())
                if kwargs["column"] in frame.columns
                else set()
            )
            out.append(
                SplitResult(
                    config, wanted <= seen, {"observed_value": sorted(seen, key=str)}, None, config_json
                )
            )
        return out
    info = res.exception_info
    raised = bool(info) and (
        info.get("raised_exception")
        or any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
    )
    if raised or exp["type"] == EXISTS:
        return [
            SplitResult(config, bool(res.success), copy.deepcopy(res.result), info, config_json)
            for _ in frames
        ]
    by_file: dict[int, list[dict]] = {}
    for hit in res.result.get("unexpected_index_list") or []:
        n, _, row = str(hit[ROW_KEY]).partition(":")
        own = {k: v for k, v in hit.items() if k not in (ROW_KEY, FILE_COLUMN)}
        by_file.setdefault(int(n), []).append({**own, "row_number": int(row)})
    column = kwargs.get("column") or (kwargs.get("column_B") if exp["type"] != UNIQUE else None)
    if exp["type"] == UNIQUE:
        column = kwargs["column"]
    out = []
    for n, frame in enumerate(frames):
        hits = by_file.get(n, [])
        checked = _in_domain(frame, kwargs.get("row_condition"))
        out.append(
            SplitResult(config, not hits, _row_result(res.result, hits, checked, column), None, config_json)
        )
    return out


def _numbered(n: int, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its file's number and each row's key "<file>:<row_number>"."""
    keys = [None if r is None else f"{n}:{r}" for r in frame["row_number"].to_list()]
    return with_series(
        frame,
        [
            pl.Series(FILE_COLUMN, [str(n)] * frame.height, dtype=pl.String),
            pl.Series(ROW_KEY, keys, dtype=pl.String),
        ],
    )


def run_stacked(frames: list[pl.DataFrame], suite: dict, key: str | None = None) -> list:
    """The suite's result for each frame (all with the same columns), from one GX run."""
    if len(frames) == 1 or not stackable(suite):
        return [run_suite(f, suite, suite_key=key) for f in frames]
    runnable = stacked_suite(suite)
    stacked = pl.concat([_numbered(n, f) for n, f in enumerate(frames)], how="vertical_relaxed")
    result = run_suite(stacked, runnable, ROW_KEY, suite_key=f"stacked-{key or suite_digest(suite)}")
    by_position = {r.expectation_config.meta["stacked_position"]: r for r in result.results}
    alone = _rerun_alone(frames, suite, by_position)
    skeleton = {
        k: v for k, v in result.to_json_dict().items() if k not in ("results", "statistics", "success")
    }
    per_file: list[list[SplitResult]] = [[] for _ in frames]
    for n in _result_order(frames[0], suite, key):
        exp = suite["expectations"][n]
        splits = alone[n] if n in alone else _split(exp, by_position.get(n), frames)
        for results, split in zip(per_file, splits, strict=True):
            results.append(split)
    return [SplitSuiteResult(results, skeleton) for results in per_file]


def _raised_info(info) -> bool:
    return bool(info) and bool(
        info.get("raised_exception")
        or any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
    )


def _rerun_alone(frames: list[pl.DataFrame], suite: dict, by_position: dict) -> dict[int, list]:
    """Rules that erred on the stacked rows although every column they read is there, run
    again on each file alone: position → each file's own GX result.

    GX can err on a union where no file alone would (e.g. a pair rule with a row condition
    whose rows outside the condition make its missing count negative); the files' verdicts
    must not depend on what they were stacked with.
    """
    columns = set(frames[0].columns)
    again = []
    for n, res in by_position.items():
        kwargs = suite["expectations"][n]["kwargs"]
        read = {kwargs.get(k) for k in ("column", "column_A", "column_B") if kwargs.get(k)}
        if _raised_info(res.exception_info) and read <= columns:
            again.append(n)
    if not again:
        return {}
    subset = {
        **suite,
        "expectations": [e for e in _positioned(suite) if e["meta"]["stacked_position"] in again],
    }
    key = f"alone-{suite_digest(subset)}"
    per_frame = [
        {
            r.expectation_config.meta["stacked_position"]: r
            for r in run_suite(f, subset, suite_key=key).results
        }
        for f in frames
    ]
    return {n: [_as_original(results[n], suite["expectations"][n]) for results in per_frame] for n in again}


def _as_original(res, exp: dict) -> SplitResult:
    """A GX result of a positioned copy of ``exp``, as the result of ``exp`` itself."""
    config, config_json = _config(exp)
    return SplitResult(config, bool(res.success), res.result, res.exception_info, config_json)


_orders: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _result_order(frame: pl.DataFrame, suite: dict, key: str | None) -> list[int]:
    """The order GX lists the suite's results in for one file with these columns (its own
    order, by domain, not the suite's): learnt once per suite and columns from one file."""
    cache_key = (key or suite_digest(suite), tuple(frame.columns))
    if cache_key not in _orders:
        probe = run_suite(
            frame, {**suite, "expectations": _positioned(suite)}, suite_key=f"positioned-{cache_key[0]}"
        )
        _orders[cache_key] = [r.expectation_config.meta["stacked_position"] for r in probe.results]
    return _orders[cache_key]


def run_many(jobs: list[tuple[pl.DataFrame, dict]]) -> list:
    """Each (frame, suite)'s result, one GX run per suite and set of columns."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    digests: dict[int, str] = {}
    for n, (frame, suite) in enumerate(jobs):
        key = digests.setdefault(id(suite), suite_digest(suite))
        groups.setdefault((key, tuple(frame.columns)), []).append(n)
    out: list = [None] * len(jobs)
    for (key, _), members in groups.items():
        suite = jobs[members[0]][1]
        for n, result in zip(members, run_stacked([jobs[n][0] for n in members], suite, key), strict=True):
            out[n] = result
    return out
