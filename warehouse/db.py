"""The DuckDB warehouse: connection helper and versioned schema.

Schema files in ``warehouse/schema`` are applied once each, in name order, and
recorded in ``schema_migrations``. The database file itself is never committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def migrate(con: duckdb.DuckDBPyConnection, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Apply schema files not yet applied; return their names."""
    con.execute(
        "create table if not exists schema_migrations (name varchar primary key, applied_at timestamp)"
    )
    done = {r[0] for r in con.execute("select name from schema_migrations").fetchall()}
    applied = []
    for path in sorted(schema_dir.glob("*.sql")):
        if path.name in done:
            continue
        con.execute("begin")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("insert into schema_migrations values (?, now())", [path.name])
        con.execute("commit")
        applied.append(path.name)
    return applied


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating and migrating it when writable)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        migrate(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a load that fails part way leaves the warehouse as it was."""
    con.execute("begin")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
