"""The warehouse: versioned schema applied once, and all-or-nothing transactions."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.db import SCHEMA_DIR, connect, migrate, transaction


def test_schema_files_apply_once_in_order(tmp_path):
    path = tmp_path / "w.duckdb"
    con = connect(path)
    applied = [r[0] for r in con.execute("select name from schema_migrations order by name").fetchall()]
    assert applied == sorted(p.name for p in SCHEMA_DIR.glob("*.sql"))
    assert migrate(con) == []
    con.close()
    assert connect(path).execute("select count(*) from schema_migrations").fetchone()[0] == len(applied)


def test_a_failed_transaction_leaves_nothing_behind():
    con = connect(":memory:")
    with pytest.raises(duckdb.Error), transaction(con):
        con.execute("insert into runs values ('r1', '2021Q2', now(), null, 'running', null)")
        con.execute("insert into runs values ('r1', '2021Q2', now(), null, 'running', null)")
    assert con.execute("select count(*) from runs").fetchone()[0] == 0
