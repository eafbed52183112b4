"""Bulk inserts into the warehouse through Arrow: one statement per table, not one per row."""

from __future__ import annotations

import duckdb
import polars as pl


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, conflict: bool = False
) -> None:
    """Bulk insert through Arrow, naming the columns (tables gain columns over time)."""
    con.register("landing_frame", frame.to_arrow())
    try:
        columns = ", ".join(frame.columns)
        con.execute(
            f"insert into {table} ({columns}) select {columns} from landing_frame"
            + (" on conflict do nothing" if conflict else "")
        )
    finally:
        con.unregister("landing_frame")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """One bulk insert of positional rows in the table's column order (executemany is ~50× slower)."""
    if not rows:
        return
    columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    insert_frame(con, table, pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None))


def present(con: duckdb.DuckDBPyConnection, relation: str, column: str, values: list[str]) -> set[str]:
    """Which of ``values`` the ``column`` of ``relation`` already holds (one query)."""
    return {
        row[0]
        for row in con.execute(
            f"select distinct {column} from {relation} where {column} in (select unnest(?::varchar[]))",
            [values],
        ).fetchall()
    }
