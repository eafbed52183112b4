"""Round trip: the real template of every unit, filled with known figures, read and landed.

Every figure and every task status comes back with the cell it was written to,
from the reader and from ``raw_cells`` in an in-memory warehouse.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from plantrack.landing import Landing, archive_file, land_raw_many
from plantrack.periods import Quarter
from plantrack.reader import read_submission
from plantrack.template import (
    DATA_HEADER_ROW,
    DATA_SHEET,
    MILESTONE_HEADER_ROW,
    MILESTONE_SHEET,
    template_filename,
    write_template,
)
from warehouse.db import connect, transaction

Q2 = Quarter(2021, 2)


def known_value(rng: random.Random, unit: str) -> float:
    """Whole counts, money with four decimals, zero and large figures."""
    kind = rng.random()
    if kind < 0.1:
        return 0.0
    if unit in ("亿元", "%", "个百分点"):
        return round(rng.uniform(0, 50), 4)
    return float(rng.randrange(1, 2_000_000 if kind > 0.9 else 500))


@pytest.fixture(scope="module")
def filled(catalog, tmp_path_factory):
    """Every reporting unit's workbook, filled; with what was written where."""
    out = tmp_path_factory.mktemp("filled")
    rng = random.Random(2021)
    written = {}
    for unit in catalog.reporting_units():
        path = out / template_filename(unit, Q2)
        write_template(catalog, unit, Q2, path, generated_at=datetime(2021, 7, 1, tzinfo=UTC))
        wb = load_workbook(path)
        data, tasks = wb[DATA_SHEET], wb[MILESTONE_SHEET]
        expected = {}
        for i, ind in enumerate(catalog.indicators_for(unit.code)):
            row = DATA_HEADER_ROW + 1 + i
            value = known_value(rng, ind.unit)
            data.cell(row=row, column=5, value=value)
            data.cell(row=row, column=6, value=f"{unit.name}{ind.id}说明")
            expected[("填报", f"E{row}")] = (ind.id, value)
        for i, ms in enumerate(catalog.milestones_for(unit.code)):
            row = MILESTONE_HEADER_ROW + 1 + i
            status = rng.choice(("未启动", "推进中", "已完成"))
            tasks.cell(row=row, column=3, value=status)
            tasks.cell(row=row, column=4, value=f"{ms.id}进展")
            expected[("重点任务", f"C{row}")] = (ms.id, status)
        wb.save(path)
        written[unit.code] = (path, expected)
    return written


def test_every_unit_has_a_template_with_figures(filled, catalog):
    assert set(filled) == {u.code for u in catalog.reporting_units()}
    assert sum(len(e) for _, e in filled.values()) > 300


def test_the_reader_reproduces_every_value_with_its_cell(filled, catalog):
    units = {i.id: i.unit for i in catalog.indicators}
    for code, (path, expected) in filled.items():
        sub = read_submission(path, catalog.units, indicator_units=units)
        assert (sub.identity.unit, sub.identity.quarter) == (code, Q2)
        assert sub.issues == []
        got = {
            ("填报", r["actual_cell"]): (r["indicator_id"], r["actual_value"])
            for r in sub.rows.iter_rows(named=True)
        }
        got |= {
            ("重点任务", r["status_cell"]): (r["milestone_id"], r["status"])
            for r in sub.milestones.iter_rows(named=True)
        }
        assert got == expected, code
        notes = sub.rows["note"].to_list()
        assert notes == [f"{catalog.units[code].name}{i}说明" for i in sub.rows["indicator_id"]]


def test_raw_cells_reproduce_every_value_with_its_cell(filled, catalog, tmp_path):
    con = connect(":memory:")
    landings = []
    for path, _ in filled.values():
        received = archive_file(path, tmp_path / "archive")
        landings.append(Landing(received, read_submission(path, catalog.units), Q2.code))
    with transaction(con):
        assert all(land_raw_many(con, landings, batch_files=4))
    for landing in landings:
        file_hash = landing.received.file_hash
        _, expected = filled[landing.submission.identity.unit]
        rows = con.execute(
            "select sheet, cell, record_key, header, raw_text, parsed_value, value_kind "
            "from raw_cells where file_hash = ? and header in ('actual', 'status')",
            [file_hash],
        ).fetchall()
        got = {
            (sheet, cell): (key, value if header == "actual" else text)
            for sheet, cell, key, header, text, value, _ in rows
        }
        assert got == expected
        kinds = {kind for *_, header, _, _, kind in rows if header == "actual"}
        assert kinds == {"number"}
        cells_in_file = con.execute(
            "select count(*) from raw_cells where file_hash = ?", [file_hash]
        ).fetchone()[0]
        assert cells_in_file == landing.submission.cells.height
