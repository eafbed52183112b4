"""Run the warehouse models: catalog tables in, SQL views in layer order.

Models live in ``transforms/sql`` as ``stg_*`` (rename and cast one source),
``int_*`` (join and reshape) and ``mart_*`` (the grain a report reads). They
are views, so they always reflect what is loaded. Functions here receive a
connection and values; they read no settings or environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from plantrack.catalog import Catalog

SQL_DIR = Path(__file__).resolve().parent / "sql"
LAYERS = ("stg_", "int_", "mart_")


_MODEL_REF = re.compile(r"\b((?:stg|int|mart)_\w+)\b")


def model_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """SQL files in layer order; within a layer, each after the models it references."""
    files = sorted(sql_dir.glob("*.sql"),
                   key=lambda p: (next(i for i, pre in enumerate(LAYERS) if p.name.startswith(pre)),
                                  p.name))
    names = {p.stem for p in files}
    deps = {
        p.stem: {m for m in _MODEL_REF.findall(_strip_comments(p.read_text("utf-8")))
                 if m in names and m != p.stem}
        for p in files
    }
    ordered: list[Path] = []
    done: set[str] = set()
    while len(ordered) < len(files):
        ready = [p for p in files if p.stem not in done and deps[p.stem] <= done]
        if not ready:
            raise ValueError(f"models reference each other in a cycle: {sorted(names - done)}")
        ordered.append(ready[0])
        done.add(ready[0].stem)
    return ordered


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def run_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    names = []
    for path in model_files(sql_dir):
        con.execute(path.read_text(encoding="utf-8"))
        names.append(path.stem)
    return names


def refresh_catalog_tables(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, behind: float, severely_behind: float,
) -> None:
    """Replace the dim_* and param_* tables with the catalog and thresholds in force."""
    con.execute("delete from dim_unit")
    con.executemany(
        "insert into dim_unit values (?, ?, ?, ?, ?)",
        [(u.code, u.name, u.office, u.kind, n) for n, u in enumerate(catalog.units.values())],
    )
    con.execute("delete from dim_indicator")
    con.executemany(
        "insert into dim_indicator values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i.id, i.section, i.item, i.subtask, i.name, i.text, i.unit, i.target, i.stretch,
             i.range_max, i.qualifier, i.cumulative, i.additive, i.pacing)
            for i in catalog.indicators
        ],
    )
    con.execute("delete from dim_indicator_unit")
    rows = []
    for ind in catalog.indicators:
        for unit in ind.units:
            target, stretch = catalog.unit_target(ind, unit)
            rows.append((ind.id, unit, target, stretch))
    if rows:
        con.executemany("insert into dim_indicator_unit values (?, ?, ?, ?)", rows)
    con.execute("delete from dim_pacing")
    pacing_rows = [(k, q + 1, s) for k, prof in catalog.pacing.items() for q, s in enumerate(prof)]
    if pacing_rows:
        con.executemany("insert into dim_pacing values (?, ?, ?)", pacing_rows)
    con.execute("delete from dim_baseline")
    if catalog.baselines:
        con.executemany(
            "insert into dim_baseline values (?, ?, ?, ?)",
            [(b.indicator_id, b.unit, b.value, b.year) for b in catalog.baselines],
        )
    con.execute(
        "create or replace table param_status as select ?::double as behind, ?::double as severely_behind",
        [behind, severely_behind],
    )
