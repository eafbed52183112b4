"""The catalog and the status thresholds as warehouse tables (dim_* and param_status).

The models in ``transforms/sql`` read the plan from these tables; every load replaces
their rows with the catalog and the thresholds in force. The tables themselves are
created by the schema (``warehouse/schema/003_catalog.sql``, ``008_catalog_milestones.sql``);
only rows are written here. Callers own the transaction.
"""

from __future__ import annotations

import duckdb

from plantrack.catalog import Catalog
from plantrack.settings import Thresholds

DEFAULT_APPROX_TOLERANCE = Thresholds.approx_tolerance  # one default, in settings


def refresh_catalog_tables(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, behind: float, severely_behind: float,
    approx_tolerance: float = DEFAULT_APPROX_TOLERANCE,
) -> None:
    """Replace the rows of the dim_* and param_* tables with the catalog and thresholds in force."""
    _replace(con, "dim_unit", [(u.code, u.name, u.office, u.kind, n)
                               for n, u in enumerate(catalog.units.values())])
    _replace(con, "dim_indicator", [
        (i.id, i.section, i.item, i.subtask, i.name, i.text, i.unit, i.target, i.stretch,
         i.range_max, i.qualifier, i.cumulative, i.additive, i.pacing)
        for i in catalog.indicators
    ])
    _replace(con, "dim_indicator_unit", [
        (ind.id, unit, *catalog.unit_target(ind, unit))
        for ind in catalog.indicators for unit in ind.units
    ])
    _replace(con, "dim_milestone", [(m.id, m.section, m.item, m.subtask, m.name, m.text, n)
                                    for n, m in enumerate(catalog.milestones)])
    _replace(con, "dim_milestone_unit", [(m.id, u) for m in catalog.milestones for u in m.units])
    _replace(con, "dim_pacing", [(k, q + 1, s) for k, prof in catalog.pacing.items()
                                 for q, s in enumerate(prof)])
    _replace(con, "dim_baseline", [(b.indicator_id, b.unit, b.value, b.year)
                                   for b in catalog.baselines])
    _replace(con, "param_status", [(behind, severely_behind, approx_tolerance)],
             columns=("behind", "severely_behind", "approx_tolerance"))


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple],
             columns: tuple[str, ...] = ()) -> None:
    con.execute(f"delete from {table}")
    if rows:
        names = f" ({', '.join(columns)})" if columns else ""
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table}{names} values ({marks})", rows)
