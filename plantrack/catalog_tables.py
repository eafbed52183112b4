"""The catalog and the status thresholds as warehouse tables (dim_* and param_status).

The models in ``transforms/sql`` read the plans from these tables: every dim_* row carries
its plan's year (``plan_year``) and a quarter is joined to the plan of its year. A load
replaces the rows of its own plan's year only, so a warehouse keeps every year's plan
beside the others, and the thresholds in force. The tables themselves are created by
the schema (``warehouse/schema/003_catalog.sql``, ``008_catalog_milestones.sql``,
``009_plan_year.sql``); only rows are written here. Callers own the transaction.
"""

from __future__ import annotations

from collections import Counter

import duckdb

from plantrack.catalog import Catalog
from plantrack.settings import Thresholds

DEFAULT_APPROX_TOLERANCE = Thresholds.approx_tolerance  # one default, in settings
INSERT_ROWS = 200


def refresh_catalog_tables(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    behind: float,
    severely_behind: float,
    approx_tolerance: float = DEFAULT_APPROX_TOLERANCE,
    previous: Catalog | None = None,
) -> None:
    """Replace the catalog's year's rows of the dim_* tables, and the thresholds in force.

    ``previous`` is last year's catalog, when there is one: an indicator that continues
    one of its indicators (``continues`` in the catalog, or the same name and unit) is
    recorded so that briefs can show last year's figure beside this year's.
    """
    year = catalog.year
    _replace(con, "dim_plan", [(year, catalog.title, catalog.issuer, catalog.document_number)], year=year)
    _replace(
        con,
        "dim_unit",
        [(year, u.code, u.name, u.office, u.kind, n) for n, u in enumerate(catalog.units.values())],
        year=year,
    )
    links = continued_indicators(catalog, previous)
    _replace(
        con,
        "dim_indicator",
        [
            (
                year,
                i.id,
                i.section,
                i.item,
                i.subtask,
                i.name,
                i.text,
                i.unit,
                i.target,
                i.stretch,
                i.range_max,
                i.qualifier,
                i.cumulative,
                i.additive,
                i.pacing,
                links.get(i.id),
            )
            for i in catalog.indicators
        ],
        year=year,
    )
    _replace(
        con,
        "dim_indicator_unit",
        [
            (year, ind.id, unit, *catalog.unit_target(ind, unit))
            for ind in catalog.indicators
            for unit in ind.units
        ],
        year=year,
    )
    _replace(
        con,
        "dim_milestone",
        [
            (year, m.id, m.section, m.item, m.subtask, m.name, m.text, n)
            for n, m in enumerate(catalog.milestones)
        ],
        year=year,
    )
    _replace(
        con, "dim_milestone_unit", [(year, m.id, u) for m in catalog.milestones for u in m.units], year=year
    )
    _replace(
        con,
        "dim_pacing",
        [(year, k, q + 1, s) for k, prof in catalog.pacing.items() for q, s in enumerate(prof)],
        year=year,
    )
    _replace(
        con,
        "dim_baseline",
        [(year, b.indicator_id, b.unit, b.value, b.year) for b in catalog.baselines],
        year=year,
    )
    _replace(
        con,
        "param_status",
        [(behind, severely_behind, approx_tolerance)],
        columns=("behind", "severely_behind", "approx_tolerance"),
    )


def continued_indicators(catalog: Catalog, previous: Catalog | None) -> dict[str, str]:
    """This year's indicator id → the id of last year's indicator it carries on."""
    if previous is None:
        return {}
    known = {i.id for i in previous.indicators}
    by_name = {(i.name, i.unit): i.id for i in previous.indicators}
    links = {}
    for ind in catalog.indicators:
        if ind.continues and ind.continues in known:
            links[ind.id] = ind.continues
        elif (ind.name, ind.unit) in by_name:
            links[ind.id] = by_name[(ind.name, ind.unit)]
    return links


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[tuple],
    columns: tuple[str, ...] = (),
    year: int | None = None,
) -> None:
    where, params = ("", []) if year is None else (" where plan_year = ?", [year])
    if _holds_exactly(con, table, rows, columns, where, params):
        return  # a run again with the same plan: nothing to rewrite (0.4 s of inserts a load)
    con.execute(f"delete from {table}{where}", params)
    if rows:
        names = f" ({', '.join(columns)})" if columns else ""
        row_marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        for start in range(0, len(rows), INSERT_ROWS):  # one statement per chunk: executemany
            chunk = rows[start : start + INSERT_ROWS]  # runs one statement per row (1 s a plan)
            con.execute(
                f"insert into {table}{names} values {', '.join([row_marks] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def _holds_exactly(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[tuple],
    columns: tuple[str, ...],
    where: str,
    params: list,
) -> bool:
    """Whether ``table`` (its rows ``where``) holds exactly ``rows``, as many times each."""
    held = con.execute(f"select {', '.join(columns) or '*'} from {table}{where}", params).fetchall()
    if len(held) != len(rows):
        return False
    try:
        return Counter(held) == Counter(tuple(r) for r in rows)
    except TypeError:  # a value that cannot be hashed (a list): rewrite, to be safe
        return False
