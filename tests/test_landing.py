"""Archive and raw landing: originals kept unchanged, the same file once, every receipt kept."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from plantrack.landing import Landing, archive_file, land_raw, land_raw_many, receive
from plantrack.periods import Quarter
from plantrack.reader import read_submission
from plantrack.template import DATA_SHEET, write_template
from transforms.models import model_files, run_models
from warehouse.db import SCHEMA_DIR, connect, migrate, transaction

Q2 = Quarter(2021, 2)


def submission_file(
    catalog,
    folder: Path,
    name: str,
    values: dict[str, object],
    unit: str = "huancui",
    received: datetime | None = None,
) -> Path:
    """A filled workbook of ``unit`` with ``values`` (indicator id → value) and a pinned mtime."""
    path = folder / name
    write_template(catalog, catalog.units[unit], Q2, path, generated_at=datetime(2021, 7, 1, tzinfo=UTC))
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    for row in range(5, ws.max_row + 1):
        ind = ws.cell(row=row, column=1).value
        ws.cell(row=row, column=5, value=values.get(ind, 1))
    wb.save(path)
    if received is not None:
        stamp = received.replace(tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return path


def land(con, catalog, path: Path, archive: Path) -> bool:
    received = archive_file(path, archive)
    with transaction(con):
        return land_raw(con, received, read_submission(path, catalog.units), Q2.code)


def history_view(con) -> None:
    """The models, the history view among them (they build on a warehouse never loaded)."""
    run_models(con)


def test_the_archive_keeps_every_original_unchanged_once(catalog, tmp_path):
    original = submission_file(catalog, tmp_path, "环翠区.xlsx", {})
    copy = tmp_path / "renamed copy.XLSX"
    shutil.copyfile(original, copy)
    first = archive_file(original, tmp_path / "archive")
    second = archive_file(copy, tmp_path / "archive")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    assert first.file_hash == second.file_hash == digest
    assert first.archived_path == tmp_path / "archive" / digest[:2] / f"{digest}.xlsx"
    assert first.archived_path.read_bytes() == original.read_bytes()
    assert first.size_bytes == original.stat().st_size
    stored = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert stored == [first.archived_path]  # no second copy, no temporary file left


def test_landing_the_same_file_twice_changes_nothing(catalog, tmp_path):
    con = connect(":memory:")
    path = submission_file(catalog, tmp_path, "环翠区.xlsx", {"I04-2-2": 5})
    assert land(con, catalog, path, tmp_path / "archive") is True
    tables = ("raw_files", "raw_submissions", "raw_cells")
    before = {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    renamed = tmp_path / "再次报送.xlsx"
    shutil.copyfile(path, renamed)
    assert land(con, catalog, path, tmp_path / "archive") is False
    assert land(con, catalog, renamed, tmp_path / "archive") is False
    after = {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    assert after == before
    assert len(before["raw_submissions"]) == 1


def test_a_batch_with_the_same_file_twice_lands_it_once(catalog, tmp_path):
    con = connect(":memory:")
    path = submission_file(catalog, tmp_path, "环翠区.xlsx", {})
    received = archive_file(path, tmp_path / "archive")
    item = Landing(received, read_submission(path, catalog.units), Q2.code)
    with transaction(con):
        assert land_raw_many(con, [item, item]) == [True, False]
    assert con.execute("select count(*) from raw_submissions").fetchone()[0] == 1


def test_raw_cells_carry_full_provenance(catalog, tmp_path):
    con = connect(":memory:")
    path = submission_file(catalog, tmp_path, "环翠区.xlsx", {"I04-2-2": "12家", "I04-2-3": 3.5})
    land(con, catalog, path, tmp_path / "archive")
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = con.execute(
        "select sheet, row_number, column_letter, column_number, cell, header, record_key, "
        "raw_text, value_kind, parsed_value, parse_code from raw_cells "
        "where file_hash = ? and cell in ('E5', 'E6') and sheet = '填报' order by cell",
        [file_hash],
    ).fetchall()
    assert rows == [
        ("填报", 5, "E", 5, "E5", "actual", "I04-2-2", "12家", "text", 12.0, "number_as_text"),
        ("填报", 6, "E", 5, "E6", "actual", "I04-2-3", "3.5", "number", 3.5, None),
    ]
    receipt = con.execute(
        "select unit, quarter, identity_from, readable, file_format from raw_submissions"
    ).fetchone()
    assert receipt == ("huancui", "2021Q2", "workbook", True, "xlsx")


def test_an_unreadable_file_is_a_receipt_without_cells(catalog, tmp_path):
    con = connect(":memory:")
    path = tmp_path / "2021Q2_环翠区.xlsx"
    path.write_bytes(b"%PDF-1.4 not a workbook")
    received = archive_file(path, tmp_path / "archive")
    with transaction(con):
        land_raw(con, received, None, Q2.code, unit="huancui", read_error="无法读取：PDF 文档")
    assert con.execute("select unit, readable, read_error from raw_submissions").fetchone() == (
        "huancui",
        False,
        "无法读取：PDF 文档",
    )
    assert con.execute("select count(*) from raw_cells").fetchone()[0] == 0
    assert received.archived_path.read_bytes() == path.read_bytes()


def test_a_resubmission_supersedes_and_both_stay_queryable(catalog, tmp_path):
    con = connect(":memory:")
    archive = tmp_path / "archive"
    first = submission_file(
        catalog,
        tmp_path,
        "环翠区_初报.xlsx",
        {"I04-2-2": 5, "I04-2-3": 7},
        received=datetime(2021, 7, 5, 9, 0),
    )
    broken = tmp_path / "环翠区_2021Q2_损坏.xlsx"
    broken.write_bytes(first.read_bytes()[:4000])
    stamp = datetime(2021, 7, 6, 9, 0).replace(tzinfo=UTC).timestamp()
    os.utime(broken, (stamp, stamp))
    second = submission_file(
        catalog,
        tmp_path,
        "环翠区_更正.xlsx",
        {"I04-2-2": 6, "I04-2-3": 7},
        received=datetime(2021, 7, 8, 9, 0),
    )
    land(con, catalog, first, archive)
    with transaction(con):
        land_raw(con, archive_file(broken, archive), None, Q2.code, unit="huancui", read_error="文件已损坏")
    land(con, catalog, second, archive)
    history_view(con)
    receipts = con.execute(
        "select original_name, receipt_number, receipts, is_last_received, readable, next_received_at, "
        "cells_changed from int_submission_history order by receipt_number"
    ).fetchall()
    assert receipts == [
        ("环翠区_初报.xlsx", 1, 3, False, True, datetime(2021, 7, 6, 9, 0), None),
        ("环翠区_2021Q2_损坏.xlsx", 2, 3, False, False, datetime(2021, 7, 8, 9, 0), None),
        ("环翠区_更正.xlsx", 3, 3, True, True, None, 1),
    ]
    change = con.execute(
        "select c.record_key, c.header, c.change, c.old_cell, c.new_cell, c.old_text, c.new_text, "
        "c.old_value, c.new_value, h.compared_with = s.submission_id "
        "from int_submission_history as h, unnest(h.changes) as t(c), raw_submissions as s "
        "where h.receipt_number = 3 and s.source_path like '%初报%'"
    ).fetchall()
    assert change == [("I04-2-2", "actual", "changed", "E5", "E5", "5", "6", 5.0, 6.0, True)]
    # both originals stay in the archive and in raw_cells
    assert con.execute("select count(distinct file_hash) from raw_cells").fetchone()[0] == 2


def test_a_row_added_or_dropped_is_a_change(catalog, tmp_path):
    con = connect(":memory:")
    first = submission_file(catalog, tmp_path, "a.xlsx", {}, received=datetime(2021, 7, 5))
    second = submission_file(catalog, tmp_path, "b.xlsx", {}, received=datetime(2021, 7, 6))
    wb = load_workbook(second)
    wb[DATA_SHEET].cell(row=5, column=6, value="新增说明")
    wb[DATA_SHEET].delete_rows(6)
    wb.save(second)
    stamp = datetime(2021, 7, 6).replace(tzinfo=UTC).timestamp()
    os.utime(second, (stamp, stamp))
    land(con, catalog, first, tmp_path / "archive")
    land(con, catalog, second, tmp_path / "archive")
    history_view(con)
    changes = con.execute(
        "select c.record_key, c.header, c.change from int_submission_history, "
        "unnest(changes) as t(c) where receipt_number = 2 and c.header in ('note', 'actual') "
        "order by all"
    ).fetchall()
    assert changes == [("I04-2-2", "note", "added"), ("I04-2-3", "actual", "removed")]


def test_the_new_columns_reach_a_warehouse_made_before_them(catalog, tmp_path):
    old_schema = tmp_path / "schema"
    old_schema.mkdir()
    for name in ("001_raw.sql", "002_validation.sql", "003_catalog.sql"):
        shutil.copyfile(SCHEMA_DIR / name, old_schema / name)
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con, old_schema)
    con.execute("insert into raw_cells values ('h', '填报', 5, 'E', 'E5', 'actual', 'I04-2-2', '12', 12.0)")
    con.close()
    con = connect(db)
    assert con.execute("select cell, raw_text, column_number, value_kind from raw_cells").fetchall() == [
        ("E5", "12", None, None)
    ]
    path = submission_file(catalog, tmp_path, "环翠区.xlsx", {})
    assert land(con, catalog, path, tmp_path / "archive")
    assert con.execute("select count(*) from raw_cells where value_kind is not null").fetchone()[0] > 0


def test_the_history_model_runs_after_what_it_reads():
    names = [p.stem for p in model_files()]
    assert names.index("stg_submissions") < names.index("int_submission_history")


def test_archiving_bytes_already_read_stores_exactly_those(catalog, tmp_path):
    path = submission_file(catalog, tmp_path, "环翠区.xlsx", {})
    data = path.read_bytes()
    received = archive_file(path, tmp_path / "archive", data=data)
    assert received.file_hash == hashlib.sha256(data).hexdigest()
    assert received.archived_path.read_bytes() == data
    again = archive_file(path, tmp_path / "archive")  # streamed: the same place, once
    assert again.archived_path == received.archived_path
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [received.archived_path]


def test_many_files_land_in_batches_and_are_archived_before_their_rows(catalog, tmp_path):
    con = connect(":memory:")
    paths = [submission_file(catalog, tmp_path, f"f{i}.xlsx", {"I04-2-2": i}) for i in range(5)]
    paths.append(paths[0])  # the same file again, later in the stream

    def landings():
        for n, path in enumerate(paths):
            data = path.read_bytes()
            received = receive(path, tmp_path / "archive", data)
            if n < 5:
                assert not received.archived_path.exists()  # written by the landing, not here
            yield Landing(received, read_submission(path, catalog.units, data=data), Q2.code, data=data)

    with transaction(con):
        landed = land_raw_many(con, landings(), batch_files=2)
    assert landed == [True, True, True, True, True, False]
    archived = dict(con.execute("select file_hash, archived_path from raw_files").fetchall())
    for path in paths[:5]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert Path(archived[digest]).read_bytes() == path.read_bytes()
    assert con.execute("select count(distinct file_hash) from raw_cells").fetchone()[0] == 5
