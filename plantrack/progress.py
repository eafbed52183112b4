"""Read computed progress from the warehouse marts, as plain rows.

Everything here is a query against the views that ``transforms/models.py``
builds; nothing is computed twice. ``progress_document`` is the shape of
``plantrack progress --json``. The warehouse is opened read-only: reading
progress never changes it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from plantrack.periods import Quarter, parse_quarter
from transforms.models import ensure_models

STATUS_ORDER = (
    "严重滞后",
    "滞后",
    "数据待核",
    "无数据",
    "缺少基数",
    "正常推进",
    "已完成",
    "年末考核",
    "无目标",
)
BEHIND = ("严重滞后", "滞后")
NEEDS_DATA = ("无数据", "数据待核")
MILESTONE_STATUSES = ("已完成", "推进中", "未启动", "数据待核", "未报送")
JSON_DIGITS = 4  # rounding in --json output, so that 0.1 + 0.2 prints as 0.3

INDICATOR_FIELDS = (
    "id",
    "name",
    "unit",
    "qualifier",
    "cumulative",
    "additive",
    "pacing",
    "target",
    "stretch",
    "tolerance",
    "baseline",
    "start_level",
    "actual",
    "expected_share",
    "expected_to_date",
    "pct_of_target",
    "pct_of_stretch",
    "status",
    "level",
    "projection",
    "needed_per_quarter",
    "gap_to_expected",
    "shortfall_share",
)


class NoProgressData(Exception):
    """The warehouse cannot answer: missing, never loaded, busy, or no such quarter (Chinese)."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# -- opening and checking ------------------------------------------------------


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only; NoProgressData with a clear message when it cannot be read."""
    if not Path(path).exists():
        raise NoProgressData(
            f"找不到数据仓库文件：{path}\n"
            "请先运行 plantrack run --quarter 季度（或 plantrack demo）导入报送数据。"
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise NoProgressData("数据仓库正被季度流程写入，请稍后再试。") from exc
        raise NoProgressData(f"无法打开数据仓库 {path}：{exc}") from exc
    if not _has_models(con):
        con.close()
        raise NoProgressData(f"数据仓库 {path} 中还没有进度数据：请先运行一次季度流程（plantrack run）。")
    try:
        ensure_models(con)  # a warehouse last loaded by older code lacks the newer models
    except duckdb.Error as exc:
        con.close()
        raise NoProgressData(
            f"数据仓库 {path} 的结构早于当前版本：请先运行一次季度流程（plantrack run）。"
        ) from exc
    return con


def _has_models(con: duckdb.DuckDBPyConnection) -> bool:
    names = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    return {"mart_city_progress", "mart_unit_progress"} <= names


def quarters_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0] for r in con.execute("select quarter from int_reporting_quarters order by quarter").fetchall()
    ]


def require_quarter(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> None:
    known = quarters_with_data(con)
    if quarter.code not in known:
        have = "、".join(parse_quarter(q).label for q in known) or "（无）"
        raise NoProgressData(f"数据仓库中没有{quarter.label}的数据。已有数据的季度：{have}")


def _plan_units(con: duckdb.DuckDBPyConnection, year: int | None, targets_only: bool = False) -> list[dict]:
    """The reporting units of the year's plan (default: the newest plan in the warehouse)."""
    rows = _rows(
        con,
        "select plan_year, unit, name, office, has_target from int_reporting_units "
        "order by plan_year, ordinal",
    )
    if year is None and rows:
        year = max(r["plan_year"] for r in rows)
    return [
        {"unit": r["unit"], "name": r["name"], "office": r["office"]}
        for r in rows
        if r["plan_year"] == year and (r["has_target"] or not targets_only)
    ]


def resolve_unit(con: duckdb.DuckDBPyConnection, text: str, year: int | None = None) -> dict:
    """A reporting unit of the year's plan (default: the newest) by code, name or office;
    NoProgressData listing the choices otherwise."""
    units = _plan_units(con, year)
    wanted = text.strip()
    for u in units:
        if wanted in (u["unit"], u["name"], u["office"]):
            return u
    choices = "、".join(f"{u['name']}（{u['unit']}）" for u in units)
    raise NoProgressData(f"未知的填报单位“{text}”。可选：{choices}")


# -- indicator progress --------------------------------------------------------


def city_progress(con: duckdb.DuckDBPyConnection, quarter: str) -> list[dict]:
    return _rows(
        con,
        """
        select * from mart_city_progress where quarter = ?
        order by section, item, subtask, indicator_id
    """,
        [quarter],
    )


def unit_progress(con: duckdb.DuckDBPyConnection, quarter: str, unit: str | None = None) -> list[dict]:
    return _rows(
        con,
        """
        select * from mart_unit_progress
        where quarter = ? and (?::varchar is null or unit = ?)
        order by unit_ordinal, section, item, subtask, indicator_id
    """,
        [quarter, unit, unit],
    )


def trends(con: duckdb.DuckDBPyConnection, quarter: Quarter, scope: str) -> dict[str, list[dict]]:
    """For one scope, each indicator's expected path over the year's four quarters and its
    figures for the quarters up to ``quarter``."""
    rows = _rows(
        con,
        """
        select indicator_id, quarter_number, actual, start_level, target, expected_to_date,
               qualifier
        from mart_indicator_trends where year = ? and scope = ?
        order by indicator_id, quarter_number
    """,
        [quarter.year, scope],
    )
    out: dict[str, list[dict]] = {}
    for r in rows:
        if r["quarter_number"] > quarter.number:  # not reported yet, as of this brief
            r["actual"] = None
        out.setdefault(r["indicator_id"], []).append(r)
    return out


def last_year_values(con: duckdb.DuckDBPyConnection, quarter: str, scope: str) -> dict[str, float]:
    """Last year's figure at the same quarter of each indicator that continues one of last
    year's (mart_last_year_values), by this year's indicator id."""
    return {
        r["indicator_id"]: r["last_year_actual"]
        for r in _rows(
            con,
            """
        select indicator_id, last_year_actual from mart_last_year_values
        where quarter = ? and scope = ?
    """,
            [quarter, scope],
        )
    }


def status_counts(rows: list[dict]) -> dict[str, int]:
    counts = {s: 0 for s in STATUS_ORDER}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {s: n for s, n in counts.items() if n}


# -- milestones and data quality -----------------------------------------------


def milestones(con: duckdb.DuckDBPyConnection, quarter: str, scope: str = "city") -> list[dict]:
    return _rows(
        con,
        """
        select * from mart_milestone_progress where quarter = ? and scope = ?
        order by section, item, subtask, ordinal
    """,
        [quarter, scope],
    )


def submission_status(con: duckdb.DuckDBPyConnection, quarter: str, unit: str | None = None) -> list[dict]:
    return _rows(
        con,
        """
        select * from mart_submission_status
        where quarter = ? and (?::varchar is null or unit = ?) order by ordinal
    """,
        [quarter, unit, unit],
    )


QUARANTINE_EXAMPLES = 3  # rows shown per unit and cause; the rest are counted


def quarantined_values(con: duckdb.DuckDBPyConnection, quarter: str, unit: str | None = None) -> list[dict]:
    """Values of the submissions in use that were left out, summarised per unit and cause:
    how many rows, and the first few as examples (20,000 rejected rows are one line of a
    brief, not 389 pages). Each entry: unit_name, cause, rows, examples (indicator_id,
    indicator_name, row_number, raw_value, reasons)."""
    from plantrack.issues.registry import REGISTRY

    groups = _rows(
        con,
        "select unit_name, code, rows, examples, first_reasons from mart_quarantine_summary "
        "where quarter = ? and (?::varchar is null or unit = ?) order by unit_ordinal, first_row",
        [quarter, unit, unit],
    )
    for g in groups:
        g["examples"] = g["examples"][:QUARANTINE_EXAMPLES]
        check = REGISTRY.get(g.pop("code"))
        first = g.pop("first_reasons")
        g["cause"] = check.cause if check else first
    return groups


def refused_files(con: duckdb.DuckDBPyConnection, quarter: str, unit: str | None = None) -> list[dict]:
    """Files received for the quarter (or examined by its runs) that could not be used at all,
    with the reasons."""
    return _rows(
        con,
        """
        select original_name, received_at, unit_name, reasons, superseded
        from mart_refused_files
        where quarter = ? and (?::varchar is null or unit = ?)
        order by received_at, original_name
    """,
        [quarter, unit, unit],
    )


ISSUES_LISTED = 40  # in a unit's brief; the fix-it workbook lists them all


def submission_issues(con: duckdb.DuckDBPyConnection, quarter: str, unit: str) -> list[dict]:
    """What the latest run found in the unit's submission in use: errors first, by cell."""
    where = "where quarter = ? and unit = ?"
    (total,) = con.execute(f"select count(*) from mart_submission_issues {where}", [quarter, unit]).fetchone()
    listed = _rows(
        con,
        "select severity, sheet, cell, indicator_id, message, hint from mart_submission_issues "
        f"{where} order by severity, sheet, length(cell), cell limit ?",
        [quarter, unit, ISSUES_LISTED],
    )
    return [{**r, "total": total} for r in listed]


def units_with_targets(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[dict]:
    """Units of the year's plan (default: the newest) that have a target of their own for at
    least one indicator, in configured order."""
    return _plan_units(con, year, targets_only=True)


# -- the `plantrack progress --json` document ------------------------------------


def _round(value):
    if isinstance(value, float):
        return round(value, JSON_DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0
    return value


def indicator_entry(row: dict) -> dict:
    entry = {"id": row["indicator_id"], "name": row["name"], "unit": row["unit_of_measure"]}
    for key in INDICATOR_FIELDS[3:]:
        entry[key] = _round(row.get(key))
    if "contributors" in row:  # a city row: who owes the shortfall
        entry["units_reported"] = row["units_reported"]
        entry["units_expected"] = row["units_expected"]
        entry["shortfall_by_unit"] = [
            {"unit": c["unit"], "name": c["unit_name"], "gap": _round(c["gap"]), "share": _round(c["share"])}
            for c in row["contributors"]
        ]
    return entry


def plan_whole(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """What the year's plan calls all of its territory (``Catalog.whole``), from its title
    and issuer as the warehouse keeps them; 全市 for a year it has no plan of."""
    from plantrack.catalog.model import whole_jurisdiction

    found = con.execute("select title, issuer from dim_plan where plan_year = ?", [year]).fetchone()
    return whole_jurisdiction(found[0] or "", found[1] or "") if found else "全市"


def progress_document(con: duckdb.DuckDBPyConnection, quarter: Quarter, unit: dict | None = None) -> dict:
    """Progress of the city (or of one unit) on every indicator, as ``--json`` prints it;
    ``whole`` is what the plan calls all of its territory (全市, 全县), the city's name."""
    whole = plan_whole(con, quarter.year)
    if unit is None:
        rows, scope, scope_name = city_progress(con, quarter.code), "city", whole
    else:
        rows, scope, scope_name = unit_progress(con, quarter.code, unit["unit"]), unit["unit"], unit["name"]
    params = _rows(con, "select * from param_status")[0]
    return {
        "quarter": quarter.code,
        "quarter_label": quarter.label,
        "scope": scope,
        "scope_name": scope_name,
        "whole": whole,
        "thresholds": {k: _round(v) for k, v in params.items()},
        "status_counts": status_counts(rows),
        "indicators": [indicator_entry(r) for r in rows],
    }
