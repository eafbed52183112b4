"""Run the warehouse models: the SQL views of ``transforms/sql``, in layer order.

Models live in ``transforms/sql`` as ``stg_*`` (rename and cast one raw table),
``int_*`` (join and reshape) and ``mart_*`` (the grain a report reads). They
are views, so they always reflect what is loaded. A file may also define
macros (``int_progress_status.sql`` holds the status rules); a model that calls
a macro runs after the file that defines it.

Sources by layer (tests/test_model_layers.py holds every model to it): a ``stg_``
model reads one raw table of ``warehouse/schema``; ``int_`` and ``mart_`` models read
models, and the catalog tables (``dim_*``, ``param_status``), which hold the reviewed
plan and the settings rather than anything a submission brought; no ``int_`` model
reads a ``mart_``. Filling the catalog tables is the library's job
(``plantrack.catalog_tables``): this module runs SQL files and knows nothing of
plantrack. Functions here receive a connection and values; they read no settings
or environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
LAYERS = ("stg_", "int_", "mart_")

_MODEL_REF = re.compile(r"\b((?:stg|int|mart)_\w+)\b")
_MACRO_DEF = re.compile(r"create\s+or\s+replace\s+macro\s+(\w+)", re.IGNORECASE)
_VIEW_DEF = re.compile(r"create\s+or\s+replace\s+view\s+(\w+)", re.IGNORECASE)
_CREATE = re.compile(r"\bcreate\s+or\s+replace\s+(view|macro)\b", re.IGNORECASE)
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


def run_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, temporary: bool = False) -> list[str]:
    """Create (or replace) every model; return the files run, in order.

    ``temporary``: as temporary views and macros, which live as long as the connection
    and shadow the stored ones. A reader on a read-only connection uses them to query a
    warehouse whose stored models are older than this code (or missing: a warehouse
    migrated but never loaded).
    """
    names = []
    for path in model_files(sql_dir):
        sql = path.read_text(encoding="utf-8")
        if temporary:
            sql = _CREATE.sub(lambda m: f"create or replace temporary {m.group(1)}", sql)
        con.execute(sql)
        names.append(path.stem)
    return names


def model_names(sql_dir: Path = SQL_DIR) -> list[str]:
    """The views the model files define, in run order."""
    return [
        name
        for path in model_files(sql_dir)
        for name in _VIEW_DEF.findall(_strip_comments(path.read_text(encoding="utf-8")))
    ]


def missing_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """The models this code defines that the connection has no view for."""
    have = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    return [name for name in model_names(sql_dir) if name not in have]


def ensure_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    """For a read-only reader: when the stored models lack some of this code's, every model
    as a temporary view (see ``run_models``), so that each query finds what it reads."""
    if missing_models(con, sql_dir):
        run_models(con, sql_dir, temporary=True)


SNAPSHOT_LAYERS = ("int_", "mart_")  # staging views stay views: thin reads of the raw tables


def snapshot_marts(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Every intermediate model and mart computed once, in run order, into a temporary
    table that shadows its view; the marts' names.

    For a reader about to ask many questions of one state of the warehouse: a quarter's
    briefs make about a hundred queries, and each query of a view computes again the
    views under it (6 s for the demo's twelve briefs). Each model's table is made from
    the tables of the models under it, so a model that several marts read is computed
    once (the marts alone, each over its views: 1.3–1.5 s for the demo; in layers 0.4 s).
    Sums of doubles may differ in their last digit from the views' (another order of
    addition). The tables live as long as the connection and do not follow later loads:
    use a connection that only reads, for one task.
    """
    names = [name for name in model_names(sql_dir) if name.startswith(SNAPSHOT_LAYERS)]
    temporary_views = {
        r[0] for r in con.execute("select view_name from duckdb_views() where temporary").fetchall()
    }
    for name in names:  # in run order: each reads the tables of the models before it
        con.execute(f'create or replace temporary table "_snapshot_{name}" as select * from "{name}"')
        if name in temporary_views:  # a temporary view (ensure_models) gives way to its table
            con.execute(f'drop view temp.main."{name}"')
        con.execute(f'alter table temp.main."_snapshot_{name}" rename to "{name}"')
    return [name for name in names if name.startswith("mart_")]
