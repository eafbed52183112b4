"""The indicator table: staging its values, finding its columns, and the issues of the
unit's expectation suite (parsing, identity of rows, units of measure, value rules)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from plantrack.catalog import Catalog
from plantrack.issues import Issue, Severity, make_issue
from plantrack.reader.cells import CellRow
from plantrack.validate.checks import PARSE_ERRORS, PARSE_WARNINGS, shown_number
from plantrack.validate.frames import with_series
from plantrack.validate.gx import (
    add_lookup_columns,
    expectation_severity,
    failed_hits,
    result_row,
    suite_data,
)
from transforms.cleaning import LooseRules, match_header, match_header_loosely, normalize_text, parse_number

log = logging.getLogger("plantrack.validate")

DATA_COLUMN_TITLES = {
    "indicator_id": "指标编号",
    "name": "指标名称",
    "uom": "单位",
    "target": "年度目标",
    "actual": "累计完成",
    "note": "说明",
}


# -- staging -----------------------------------------------------------------


def stage_values(rows: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """Add ``actual`` (the number), ``parse_code`` and a normalised ``uom`` to the staged rows.

    The reader's own reading of the value cell (``actual_value``/``actual_code``: it
    knows the cell's kind and percent format) is used when present.
    """
    if "actual_value" in rows.columns:
        actual, code = rows["actual_value"], rows["actual_code"]
        detail = rows["actual_detail"]
    else:
        units = {i.id: i.unit for i in catalog.indicators}
        parsed = [
            parse_number(raw, units.get(ind or "", ""))
            for ind, raw in zip(rows["indicator_id"], rows["actual_raw"], strict=True)
        ]
        actual = pl.Series([p.value for p in parsed], dtype=pl.Float64)
        code = pl.Series([p.code for p in parsed], dtype=pl.String)
        detail = pl.Series([p.detail for p in parsed], dtype=pl.String)
    uom = [normalize_text(u).replace(" ", "") or None for u in rows["uom"]]
    return with_series(
        rows,
        [
            actual.cast(pl.Float64).alias("actual"),
            code.cast(pl.String).alias("parse_code"),
            detail.cast(pl.String).alias("parse_detail"),
            pl.Series("uom", uom, dtype=pl.String),
        ],
    )


def _title_key(text: str, synonyms: dict[str, tuple[str, ...]], rules: LooseRules) -> str | None:
    return match_header(text, synonyms) or match_header_loosely(text, rules)


def table_layout(
    cells: list[CellRow], synonyms: dict[str, tuple[str, ...]], rules: LooseRules, id_key: str
) -> tuple[int, dict[str, str]]:
    """(header row, {column key: letter}) of the table the reader found among a sheet's
    ``cells`` (``Submission.cells_of``).

    Columns come from the cells the reader assigned to them, and from the header
    titles for a column whose every cell below is empty.
    """
    body = sorted((c for c in cells if c.header is not None), key=lambda c: (c.row_number, c.column_letter))
    letters: dict[str, str] = {}
    for c in body:
        letters.setdefault(c.header, c.column_letter)
    first_row = body[0].row_number if body else None
    titles = [c for c in cells if c.header is None and (first_row is None or c.row_number < first_row)]
    header_row = 0
    for c in sorted(titles, key=lambda c: c.row_number):
        key = _title_key(c.raw_text, synonyms, rules)
        if key == id_key and (id_key not in letters or letters[id_key] == c.column_letter):
            header_row, letters[id_key] = c.row_number, c.column_letter  # the last title row above the table
    for c in titles:
        if c.row_number < header_row:
            continue
        key = _title_key(c.raw_text, synonyms, rules)
        if key and header_row and key not in letters and c.column_letter not in letters.values():
            letters[key] = c.column_letter
    return header_row, letters


# -- the indicator table ---------------------------------------------------------


@dataclass(frozen=True)
class TableContext:
    """Where the indicator table's issues are: the same for every issue of one file."""

    catalog: Catalog
    base: dict  # file, sheet, unit for every issue
    letters: dict[str, str]  # column key → letter
    header_row: int


def _row_issue(code: str, severity: Severity, row: dict, ctx: TableContext, cfg_meta: dict) -> Issue:
    ind_id = row.get("indicator_id") or ""
    ind = ctx.catalog.indicators_by_id.get(ind_id)
    name = ind.name if ind else ""
    n = row["row_number"]
    if code in ("unknown_indicator", "missing_indicator_id", "duplicate_indicator"):
        return make_issue(
            code,
            severity,
            name=name,
            indicator_id=ind_id,
            cell=row.get("indicator_id_cell") or "",
            found=ind_id,
            expected="本单位模板中的指标编号（每个指标一行）",
            **ctx.base,
        )
    if code == "uom_mismatch":
        return make_issue(
            code,
            severity,
            name=name,
            indicator_id=ind_id,
            cell=f"{ctx.letters.get('uom', '')}{n}",
            found=row.get("uom") or "",
            expected=ind.unit if ind else "",
            **ctx.base,
        )
    if code == "value_not_number":
        code = PARSE_ERRORS.get(row.get("parse_code") or "", "value_not_number")
    found, expected, details = row.get("actual_raw") or "", "数字", {}
    if code == "wrong_unit":
        expected = ind.unit if ind else ""
    elif code == "negative_value":
        expected = "不小于 0 的数"
    elif code == "percent_out_of_range":
        found, expected = shown_number(row["actual"]), cfg_meta["expected"]
    elif code == "implausible_value":
        found = shown_number(row["actual"])
        multiple = cfg_meta.get("multiple_of_target", 5)
        details = {"target": shown_number(row["plausible_max"] / multiple), "multiple": multiple}
        expected = f"不超过 {shown_number(row['plausible_max'])}"
    return make_issue(
        code,
        severity,
        name=name,
        details=details,
        indicator_id=ind_id,
        cell=row.get("actual_cell") or "",
        found=str(found),
        expected=expected,
        **ctx.base,
    )


def _bounds_text(kwargs: dict) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if high is None:
        return f"不小于 {shown_number(low)} 的数"
    return f" {shown_number(low)} 到 {shown_number(high)} 之间的数"


def _table_issue(
    code: str, severity: Severity, kwargs: dict, rows: dict[int, dict], ctx: TableContext
) -> list[Issue]:
    """Issues of an expectation that fails for the table: a missing column or missing rows."""
    if code == "missing_column":
        title = DATA_COLUMN_TITLES.get(kwargs["column"], kwargs["column"])
        return [
            make_issue(
                code,
                severity,
                cell=f"A{ctx.header_row}" if ctx.header_row else "",
                expected=title,
                **ctx.base,
            )
        ]
    if code == "missing_indicator":
        present = {r["indicator_id"] for r in rows.values()}
        return [
            make_issue(
                code,
                severity,
                name=ctx.catalog.indicator(i).name,
                indicator_id=i,
                expected=f"{i} {ctx.catalog.indicator(i).name}",
                **ctx.base,
            )
            for i in kwargs["value_set"]
            if i not in present
        ]
    log.warning("expectation %s failed without row detail", code)
    return []


def _issues_from_results(results, rows: dict[int, dict], ctx: TableContext) -> list[Issue]:
    issues = []
    for res in results:
        cfg = res.expectation_config
        code, severity = cfg.meta.get("code", cfg.type), expectation_severity(cfg)
        hits = failed_hits(res)
        if hits is None:
            issues += _table_issue(code, severity, cfg.kwargs, rows, ctx)
            continue
        meta = {**cfg.meta, "expected": _bounds_text(cfg.kwargs).strip()}
        issues += [_row_issue(code, severity, rows[n], ctx, meta) for n in hits]
    return issues


def _parse_warnings(staged: pl.DataFrame, ctx: TableContext) -> list[Issue]:
    issues = []
    for r in staged.iter_rows(named=True):
        if r["actual"] is None or r["parse_code"] is None:
            continue
        code = r["parse_code"] if r["parse_code"] in PARSE_WARNINGS else "value_interpreted"
        issues.append(
            make_issue(
                code,
                Severity.WARNING,
                indicator_id=r["indicator_id"] or "",
                cell=r["actual_cell"] or "",
                found=str(r["actual_raw"]),
                expected=shown_number(r["actual"]),
                **ctx.base,
            )
        )
    return issues


def _gx_frame(staged: pl.DataFrame, suite: dict, letters: dict[str, str]) -> pl.DataFrame:
    """The columns the suite checks; a column the sheet lacks is left out, so the rule sees it."""
    keep = ["row_number"] + [
        c
        for c in ("indicator_id", "uom", "actual", "note")
        if c in letters or c in ("indicator_id", "actual")
    ]
    return add_lookup_columns(_known_uoms_only(pl.DataFrame([staged[c] for c in keep]), suite), suite)


def _known_uoms_only(frame: pl.DataFrame, suite: dict) -> pl.DataFrame:
    """The unit of measure of a row whose indicator the uom rule does not know, left out
    (suites written before the rule compared looked-up units: pairs in a set, with a
    row condition).

    GX miscounts a pair rule whose row_condition drops rows (missing_count < 0) and then
    cannot run it at all (InvalidCacheValueError): a wrong unit in the same file would
    pass. Such a row is reported as an unknown indicator anyway.
    """
    rule = next((e for e in suite["expectations"] if e["meta"].get("code") == "uom_mismatch"), None)
    if rule is None or "uom" not in frame.columns or "value_pairs_set" not in rule["kwargs"]:
        return frame
    known = [pair[0] for pair in rule["kwargs"]["value_pairs_set"]]
    return frame.with_columns(pl.when(pl.col("indicator_id").is_in(known)).then(pl.col("uom")).alias("uom"))


def indicator_job(staged: pl.DataFrame, ctx: TableContext, suite_path: Path) -> tuple[pl.DataFrame, dict]:
    """(the frame the unit's suite checks, the suite): what a GX run needs for this file."""
    suite = suite_data(suite_path)
    return _gx_frame(staged, suite, ctx.letters), suite


def indicator_outcome(staged: pl.DataFrame, ctx: TableContext, job: tuple[pl.DataFrame, dict], result):
    """(issues, result rows, city-total indicator ids) from the suite's result."""
    frame, suite = job
    looked_up = [c for c in frame.columns if c not in staged.columns]
    # each staged row with the values the suite looked up for it (a join, without polars'
    # planning: a frame of 50 rows costs 0.3 ms to join, a file's whole check ~10 ms)
    columns = [frame[c].to_list() for c in ("row_number", *looked_up)]
    extra = {n: dict(zip(looked_up, values, strict=True)) for n, *values in zip(*columns, strict=True)}
    empty = dict.fromkeys(looked_up)
    rows = {r["row_number"]: {**r, **extra.get(r["row_number"], empty)} for r in staged.iter_rows(named=True)}
    issues = _parse_warnings(staged, ctx) + _issues_from_results(result.results, rows, ctx)
    return (
        issues,
        [result_row(suite["name"], r) for r in result.results],
        tuple(suite["meta"].get("city_total_indicators", ())),
    )
