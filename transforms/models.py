"""Run the warehouse models: catalog tables in, SQL views in layer order.

Models live in ``transforms/sql`` as ``stg_*`` (rename and cast one source),
``int_*`` (join and reshape) and ``mart_*`` (the grain a report reads). They
are views, so they always reflect what is loaded. A file may also define
macros (``int_progress_status.sql`` holds the status rules); a model that calls
a macro runs after the file that defines it. Functions here receive a
connection and values; they read no settings or environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from plantrack.catalog import Catalog

SQL_DIR = Path(__file__).resolve().parent / "sql"
LAYERS = ("stg_", "int_", "mart_")
DEFAULT_APPROX_TOLERANCE = 0.05  # 左右: within 5% of the figure counts as reaching it

_MODEL_REF = re.compile(r"\b((?:stg|int|mart)_\w+)\b")
_MACRO_DEF = re.compile(r"create\s+or\s+replace\s+macro\s+(\w+)", re.IGNORECASE)
_WORD = re.compile(r"\b(\w+)\s*\(")


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _layer(path: Path) -> int:
    return next(i for i, pre in enumerate(LAYERS) if path.name.startswith(pre))


def _dependencies(files: list[Path]) -> dict[str, set[str]]:
    """Each model's upstream models: the models it names and the files defining macros it calls."""
    texts = {p.stem: _strip_comments(p.read_text("utf-8")) for p in files}
    macro_home = {m.lower(): stem for stem, sql in texts.items() for m in _MACRO_DEF.findall(sql)}
    deps = {}
    for stem, sql in texts.items():
        named = {m for m in _MODEL_REF.findall(sql) if m in texts}
        called = {macro_home[w.lower()] for w in _WORD.findall(sql) if w.lower() in macro_home}
        deps[stem] = (named | called) - {stem}
    return deps


def model_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """SQL files in layer order; within a layer, each after the models it references."""
    files = sorted(sql_dir.glob("*.sql"), key=lambda p: (_layer(p), p.name))
    deps = _dependencies(files)
    ordered: list[Path] = []
    done: set[str] = set()
    while len(ordered) < len(files):
        ready = [p for p in files if p.stem not in done and deps[p.stem] <= done]
        if not ready:
            pending = sorted(p.stem for p in files if p.stem not in done)
            raise ValueError(f"models reference each other in a cycle: {pending}")
        ordered.append(ready[0])
        done.add(ready[0].stem)
    return ordered


def run_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    names = []
    for path in model_files(sql_dir):
        con.execute(path.read_text(encoding="utf-8"))
        names.append(path.stem)
    return names


def refresh_catalog_tables(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, behind: float, severely_behind: float,
    approx_tolerance: float = DEFAULT_APPROX_TOLERANCE,
) -> None:
    """Replace the dim_* and param_* tables with the catalog and thresholds in force."""
    _refresh_units(con, catalog)
    _refresh_indicators(con, catalog)
    _refresh_milestones(con, catalog)
    _refresh_pacing_and_baselines(con, catalog)
    con.execute(
        "create or replace table param_status as select ?::double as behind, "
        "?::double as severely_behind, ?::double as approx_tolerance",
        [behind, severely_behind, approx_tolerance],
    )


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    con.execute(f"delete from {table}")
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table} values ({marks})", rows)


def _refresh_units(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    _replace(con, "dim_unit", [(u.code, u.name, u.office, u.kind, n)
                               for n, u in enumerate(catalog.units.values())])


def _refresh_indicators(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    _replace(con, "dim_indicator", [
        (i.id, i.section, i.item, i.subtask, i.name, i.text, i.unit, i.target, i.stretch,
         i.range_max, i.qualifier, i.cumulative, i.additive, i.pacing)
        for i in catalog.indicators
    ])
    _replace(con, "dim_indicator_unit", [
        (ind.id, unit, *catalog.unit_target(ind, unit))
        for ind in catalog.indicators for unit in ind.units
    ])


def _refresh_milestones(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    # Milestones are catalog data like indicators; these two tables are rebuilt with
    # the catalog on every load, as param_status is.
    con.execute("""
        create or replace table dim_milestone (
            milestone_id varchar primary key, section integer, item integer, subtask integer,
            name varchar not null, text varchar, ordinal integer)
    """)
    con.execute("create or replace table dim_milestone_unit (milestone_id varchar, unit varchar)")
    _replace(con, "dim_milestone", [(m.id, m.section, m.item, m.subtask, m.name, m.text, n)
                                    for n, m in enumerate(catalog.milestones)])
    _replace(con, "dim_milestone_unit", [(m.id, u) for m in catalog.milestones for u in m.units])


def _refresh_pacing_and_baselines(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    _replace(con, "dim_pacing", [(k, q + 1, s) for k, prof in catalog.pacing.items()
                                 for q, s in enumerate(prof)])
    _replace(con, "dim_baseline", [(b.indicator_id, b.unit, b.value, b.year)
                                   for b in catalog.baselines])
