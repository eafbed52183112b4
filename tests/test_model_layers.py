"""Where each warehouse model reads from, and that computing SQL lives in transforms/sql.

The layers (see transforms/models.py):
- ``stg_`` renames and casts one raw table;
- ``int_`` and ``mart_`` read models (``stg_``, ``int_``, ``mart_``) and the catalog
  tables; no ``int_`` model reads a ``mart_``.
The catalog tables (``dim_*``, ``param_status``) hold the reviewed plan and the
settings in force, replaced from them on every load (plantrack/catalog_tables.py);
no submission brings them, so ``int_`` and ``mart_`` models read them directly, as
models read seeds. Every other table of warehouse/schema is raw: what was received
and what validation made of it, read only through a ``stg_`` model.

A model's sources are read by DuckDB's own parser (``json_serialize_sql``), less the
names of its CTEs.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO
from transforms.models import SQL_DIR
from warehouse.db import SCHEMA_DIR

LAYERS = ("stg_", "int_", "mart_")
CATALOG_PREFIXES = ("dim_", "param_")
_VIEW = re.compile(r"create\s+or\s+replace\s+view\s+(\w+)\s+as\s+(.*?);?\s*$", re.I | re.S)
_SCHEMA_OBJECT = re.compile(
    r"create\s+(?:or\s+replace\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?(\w+)", re.I
)
_DROPPED_TABLE = re.compile(r"drop\s+table\s+(?:if\s+exists\s+)?(\w+)", re.I)


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def schema_tables(schema_dir: Path = SCHEMA_DIR) -> set[str]:
    """Tables and views the schema files create, as they stand after the last one."""
    names: set[str] = set()
    for path in sorted(schema_dir.glob("*.sql")):
        sql = _strip_comments(path.read_text(encoding="utf-8"))
        names -= set(_DROPPED_TABLE.findall(sql))
        names |= set(_SCHEMA_OBJECT.findall(sql))
    return names


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@functools.cache
def _parsed(select: str) -> dict:
    with duckdb.connect() as con:
        return json.loads(con.execute("select json_serialize_sql(?)", [select]).fetchone()[0])


def sources(sql: str) -> tuple[str, set[str], set[str]]:
    """(view name, tables and views it reads, names of its CTEs) of one model file's SQL."""
    match = _VIEW.search(_strip_comments(sql))
    assert match, "no `create or replace view … as` in the model"
    tree = _parsed(match.group(2))
    assert not tree["error"], tree.get("error_message")
    nodes = list(_walk(tree))
    ctes = {entry["key"] for n in nodes if "cte_map" in n for entry in n["cte_map"]["map"]}
    tables = {n["table_name"] for n in nodes if n.get("type") == "BASE_TABLE"}
    return match.group(1), tables - ctes, ctes


def layer_violations(sql_dir: Path = SQL_DIR, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Every read a model makes that its layer does not allow, as a sentence."""
    tables = schema_tables(schema_dir)
    catalog = {t for t in tables if t.startswith(CATALOG_PREFIXES)}
    raw = tables - catalog
    files = sorted(sql_dir.glob("*.sql"))
    models = {p.stem for p in files}
    problems = []
    for path in files:
        sql = path.read_text(encoding="utf-8")
        if not re.search(r"create\s+or\s+replace\s+view", sql, re.I):
            if re.search(r"\bfrom\b", _strip_comments(sql), re.I):
                problems.append(f"{path.name}: a macro file that reads a table")
            continue
        name, read, ctes = sources(sql)
        if name != path.stem:
            problems.append(f"{path.name}: defines {name}, not {path.stem}")
        if shadowing := ctes & (tables | models):
            problems.append(f"{path.name}: CTEs named like tables or models: {sorted(shadowing)}")
        if unknown := read - tables - models:
            problems.append(f"{path.name}: reads what neither schema nor models define: {sorted(unknown)}")
        if path.stem.startswith("stg_"):
            if not read <= raw or len(read) != 1:
                problems.append(f"{path.name}: a stg_ model reads one raw table, not {sorted(read)}")
        elif path.stem.startswith(("int_", "mart_")):
            if from_raw := read & raw:
                problems.append(f"{path.name}: reads raw tables {sorted(from_raw)} (through stg_ only)")
            if path.stem.startswith("int_") and (marts := {t for t in read if t.startswith("mart_")}):
                problems.append(f"{path.name}: an int_ model reads marts {sorted(marts)}")
        else:
            problems.append(f"{path.name}: not named by layer ({', '.join(LAYERS)})")
    return problems


# -- the models keep to their layers -----------------------------------------------


def test_the_sources_of_a_model_are_its_tables_less_its_ctes():
    name, read, ctes = sources((SQL_DIR / "int_latest_submissions.sql").read_text("utf-8"))
    assert name == "int_latest_submissions"
    assert read == {"stg_accepted_values", "stg_quarantine_rows", "stg_milestone_reports", "stg_submissions"}
    assert ctes == {"processed", "receipts", "ranked", "final"}
    # a subquery and a join in a CTE count too
    assert sources(
        "create or replace view int_x as with a as (select * from stg_a "
        "join dim_unit using (unit) where k in (select k from stg_b)) "
        "select * from a"
    ) == ("int_x", {"stg_a", "dim_unit", "stg_b"}, {"a"})


def test_raw_and_catalog_tables_come_from_the_schema():
    tables = schema_tables()
    assert {
        "raw_submissions",
        "raw_files",
        "raw_cells",
        "runs",
        "submission_issues",
        "accepted_values",
        "check_results",
    } <= tables
    assert {"dim_unit", "dim_indicator", "dim_milestone", "dim_milestone_unit", "param_status"} <= tables
    assert "expectation_results" in tables  # a view over check_results since 006


def test_every_model_reads_only_what_its_layer_allows():
    assert layer_violations() == []


@pytest.mark.parametrize(
    ("name", "sql", "complaint"),
    [
        ("mart_bad", "select * from raw_submissions", "reads raw tables ['raw_submissions']"),
        ("int_bad", "select * from mart_unit_progress", "an int_ model reads marts"),
        ("stg_bad", "select * from dim_unit", "a stg_ model reads one raw table"),
        ("stg_bad", "select * from runs join raw_files on true", "a stg_ model reads one raw table"),
        ("int_bad", "with runs as (select 1) select * from runs", "CTEs named like tables"),
        ("int_bad", "select * from stg_typo", "reads what neither schema nor models define"),
    ],
)
def test_a_model_reading_across_its_layer_is_named(tmp_path, name, sql, complaint):
    for path in SQL_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (tmp_path / f"{name}.sql").write_text(
        f"-- {name}: a bad model.\n-- Grain: one row per nothing.\n"
        f"create or replace view {name} as\n{sql};\n",
        "utf-8",
    )
    problems = layer_violations(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(f"{name}.sql")
    assert complaint in problems[0]


# -- no model text outside transforms/sql and warehouse/schema -------------------------

# Refactored by other helpers, who move their own SQL into models: scanned once merged.
# The portal's own SQLite (accounts, sessions, audit log) is not the warehouse: its queries
# are not warehouse models.
NOT_YET_SCANNED: tuple[str, ...] = ("plantrack/portal/",)
_WRITE = re.compile(r"^\s*(insert|delete|update)\b")
_DDL = re.compile(r"^\s*(create|alter|drop)\b")
_SQL_SELECT = re.compile(r"\bselect\b.*\bfrom\b", re.S)
_PARAMETER_LIST = re.compile(r"\(\s*select\s+unnest\s*\(\s*\?[^)]*\)\s*\)")  # `in (select unnest(?))`
_MODEL_TEXT = re.compile(
    r"\bjoin\b|\bgroup\s+by\b|\bunion\b|\bintersect\b|\bexcept\b|\bover\s*\(|\bqualify\b"
    r"|\bwith\b\s+\w+\s+as\s*\(|\(\s*select\b",
    re.S,
)


def python_strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module, an f-string as one string ({} for each value)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstrings
        ):
            found.append((node.lineno, node.value))
    return found


def sql_problem(text: str) -> str | None:
    """Why a string of Python code is SQL that belongs in a model or the schema, or None."""
    sql = " ".join(text.lower().split())
    if _DDL.match(sql):
        return "DDL (belongs in warehouse/schema)"
    if _WRITE.match(sql) or not _SQL_SELECT.search(sql):
        return None
    if _MODEL_TEXT.search(_PARAMETER_LIST.sub("(?)", sql)):
        return "a model (belongs in transforms/sql; select * from it where …)"
    return None


def model_text_outside_models(root: Path = REPO) -> list[str]:
    problems = []
    for folder in ("plantrack", "flows"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(NOT_YET_SCANNED):
                continue
            for line, text in python_strings(path):
                if why := sql_problem(text):
                    problems.append(f"{rel}:{line}: {why}: {' '.join(text.split())[:80]}")
    return problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("select * from mart_city_progress where quarter = ? order by section", None),
        ("select unit, name from int_reporting_units where has_target order by ordinal", None),
        ("delete from check_results where run_id = ? and submission_id in (select unnest(?))", None),
        ("insert into runs values (?, ?, now(), null, 'running', null)", None),
        (
            "select submission_id from stg_submissions where submission_id in (select unnest(?::varchar[]))",
            None,
        ),
        ("Join the units, then group by quarter.", None),  # prose, not SQL
        ("select u.name from dim_unit u join dim_indicator_unit using (unit)", "a model"),
        ("select unit, count(*) from stg_submissions group by unit", "a model"),
        ("with latest as (select 1) select * from latest", "a model"),
        ("select unit from dim_unit where unit in (select unit from dim_indicator_unit)", "a model"),
        ("select unit from x qualify row_number() over (partition by unit) = 1", "a model"),
        ("create or replace table param_status as select ?::double as behind", "DDL"),
    ],
)
def test_what_counts_as_model_text(text, problem):
    found = sql_problem(text)
    assert (found is None) if problem is None else found.startswith(problem)


def test_no_python_string_outside_the_models_computes_with_sql():
    assert model_text_outside_models() == []


def test_an_f_string_is_scanned_as_one(tmp_path):
    module = tmp_path / "plantrack" / "m.py"
    module.parent.mkdir()
    module.write_text('T = "stg_runs"\nQ = f"select * from {T} join x using (y)"\n', "utf-8")
    (tmp_path / "flows").mkdir()
    assert model_text_outside_models(tmp_path) == [
        "plantrack/m.py:2: a model (belongs in transforms/sql; select * from it where …): "
        "select * from {} join x using (y)"
    ]


# -- what each package may import --------------------------------------------------


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_transforms_and_expectations_import_nothing_from_the_library():
    """Dependencies run one way: the library imports transforms, never the reverse."""
    for folder in ("transforms", "expectations"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            ours = {m for m in _imported(path) if m.split(".")[0] in ("plantrack", "flows")}
            assert ours == set(), rel


def test_flows_only_orchestrate():
    """No warehouse or dataframe code in a flow: each step is a library function."""
    for path in sorted((REPO / "flows").glob("*.py")):
        imported = {m.split(".")[0] for m in _imported(path)}
        assert not imported & {"duckdb", "polars", "openpyxl", "jinja2"}, path.name
        classes = [
            n.name for n in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(n, ast.ClassDef)
        ]
        assert path.name == "deployments.py" or not classes, (path.name, classes)
