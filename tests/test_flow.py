"""End to end: the quarterly flow on sample submissions, on Prefect's embedded mode.

These are the slow tests (a real flow run each); logic is tested elsewhere
through plain functions.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plantrack.demo import make_demo_submissions
from plantrack.periods import Quarter
from tests.conftest import REPO, SUITES_2021

pytestmark = pytest.mark.flow
Q2 = Quarter(2021, 2)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pdf_fonts(pdf: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def assert_embedded_cjk_pdf(pdf: Path, *must_contain: str) -> None:
    text = _pdf_text(pdf)
    for needle in must_contain:
        assert needle in text, needle
    fonts = _pdf_fonts(pdf)
    assert fonts, "no fonts in the PDF"
    for row in fonts:
        name, emb = row[0], row[-5]
        assert emb == "yes", f"font {name} is not embedded"
    assert any("CJK" in row[0] for row in fonts)


def _demo(tmp_path: Path) -> subprocess.CompletedProcess:
    """``plantrack demo`` on the home under ``tmp_path``; it must succeed."""
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "plantrack"), "demo"],
        cwd=tmp_path,
        env={**os.environ, "PLANTRACK_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_demo_command_writes_a_chinese_brief_with_embedded_cjk_fonts(tmp_path):
    proc = _demo(tmp_path)
    out = tmp_path / "home" / "out" / "2021Q2"
    city = list(out.glob("2021Q2_全市*.pdf"))
    assert len(city) == 1
    assert str(city[0]) in proc.stdout  # the demo says where it wrote the brief
    assert_embedded_cjk_pdf(city[0], "威海", "2021年第二季度")
    unit_briefs = [p for p in out.glob("*.pdf") if p != city[0]]
    assert len(unit_briefs) == 11  # every unit with targets, the one that did not submit too
    assert all(str(p) in proc.stdout for p in unit_briefs)
    assert (out / "quality.html").exists()
    assert "Traceback" not in proc.stderr

    # Again on the same home: the same files arrive (same bytes, same receipts), so each
    # unit has sent once, no brief is drawn again, and each fix-it workbook has the same
    # bytes (a steward is mailed only what changed) as have the kept Data Docs.
    drawn = {p: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    fixits = {p: p.read_bytes() for p in (out / "fixit").glob("*.xlsx")}
    docs = (out / "data_docs" / "index.html").read_bytes()
    assert len(fixits) >= 4
    _demo(tmp_path)
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == drawn
    assert {p: p.read_bytes() for p in (out / "fixit").glob("*.xlsx")} == fixits
    assert (out / "data_docs" / "index.html").read_bytes() == docs
    briefs = [p.with_suffix(".html").read_text() for p in unit_briefs]
    assert sum("本单位共报送1次" in text for text in briefs) == 10  # all but the unit that never reports
    assert not any("本单位共报送2次" in text for text in briefs)


@pytest.fixture
def inbox_with_one_corrupt_file(home, catalog) -> tuple[Path, str]:
    inbox = home / "inbox" / Q2.code
    files, _ = make_demo_submissions(catalog, Q2, inbox)
    victim = next(f for f in files if "rushan" in f.name)
    victim.write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    return inbox, catalog.units["rushan"].name


def _task_states(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [r.state.name for r in runs if r.name.startswith("ingest-")]


def test_one_corrupt_file_does_not_stop_the_other_units(
    prefect_harness, inbox_with_one_corrupt_file, home, catalog
):
    from prefect.artifacts import Artifact

    from flows.quarterly import quarterly_run
    from plantrack.inbox import scan_inbox
    from plantrack.ingest_cache import files_to_validate, ingest_batches
    from plantrack.settings import load_settings
    from warehouse.db import connect

    inbox, rushan = inbox_with_one_corrupt_file
    settings = load_settings()
    batches = ingest_batches(scan_inbox(inbox).files, catalog)
    assert len(batches) > 1 and files_to_validate(settings, Q2, inbox, catalog) == 10
    state = quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True)
    assert state.is_completed()
    assert "rejected: " + rushan in state.message
    summary = state.result()
    assert summary["files_received"] == 10 and summary["files_accepted"] == 9
    assert [r["unit"] for r in summary["files_rejected"]] == ["rushan"]

    con = connect(home / "warehouse" / "plantrack.duckdb", read_only=True)
    loaded = {r[0] for r in con.execute("select distinct unit from accepted_values").fetchall()}
    con.close()
    assert len(loaded) == 9 and "rushan" not in loaded

    artifact = Artifact.get("quarterly-run-2021q2")
    assert rushan in artifact.description and "Rejected files" in artifact.data

    # the same quarter again: every batch comes from the cache, nothing is landed twice
    assert files_to_validate(settings, Q2, inbox, catalog) == 0  # what `run` knows ahead
    again = quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True)
    assert again.is_completed()
    assert set(_task_states(again.state_details.flow_run_id)) == {"Cached"}
    changed = batches[0][0]
    changed.write_bytes(changed.read_bytes() + b"\0")  # one file's bytes: that file only
    assert files_to_validate(settings, Q2, inbox, catalog) == 1
    con = connect(home / "warehouse" / "plantrack.duckdb", read_only=True)
    assert con.execute("select count(*) from raw_submissions").fetchone()[0] == 10
    con.close()


def test_a_changed_file_and_a_late_one_are_the_only_files_validated_again(
    prefect_harness, home, catalog, tmp_path, monkeypatch
):
    """A batch not in the cache takes its other files' outcomes from their own records: a
    late file, which moves every batch boundary after it, validates itself, not its
    neighbours. PREFECT_TASKS_REFRESH_CACHE still validates every file."""
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    from flows.quarterly import quarterly_run
    from plantrack import pipeline
    from plantrack.inbox import scan_inbox
    from plantrack.ingest_cache import ingest_batches

    inbox = tmp_path / "inbox"
    files, _ = make_demo_submissions(catalog, Q2, inbox)
    assert quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True).is_completed()

    validated: list[str] = []
    check_files = pipeline.check_files

    def recording(pairs, *args, **kwargs):
        validated.extend(name for _, name in pairs)
        return check_files(pairs, *args, **kwargs)

    monkeypatch.setattr(pipeline, "check_files", recording)
    before = ingest_batches(scan_inbox(inbox).files, catalog)
    changed = before[0][0]
    changed.write_bytes(changed.read_bytes() + b"\0")
    late = inbox / (before[0][-1].stem + "_补报.xlsx")  # sorts inside the first batch
    shutil.copy2(before[1][0], late)
    late.write_bytes(late.read_bytes() + b"\0\0")
    after = ingest_batches(scan_inbox(inbox).files, catalog)
    assert [len(b) for b in after] != [len(b) for b in before]  # the boundaries moved
    state = quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True)
    assert state.is_completed()
    assert sorted(validated) == sorted([changed.name, late.name])
    assert state.result()["files_received"] == len(files) + 1

    validated.clear()
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):
        assert quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True).is_completed()
    assert sorted(validated) == sorted(p.name for p in scan_inbox(inbox).files)


def test_the_same_files_in_another_inbox_are_ingested_again_not_taken_from_the_cache(
    prefect_harness, home, catalog, tmp_path
):
    """An outcome names where its file was received and archived: one from the cache for
    the same bytes in another folder would point at the other folder's files (the run
    crashed putting them back in the inbox's order) and archive nothing."""
    import shutil

    from flows.quarterly import quarterly_run

    first = tmp_path / "first"
    files, _ = make_demo_submissions(catalog, Q2, first)
    assert quarterly_run(quarter="2021Q2", inbox=str(first), return_state=True).is_completed()
    second = tmp_path / "second"
    second.mkdir()
    for f in files:
        shutil.copy2(f, second / f.name)
    again = quarterly_run(quarter="2021Q2", inbox=str(second), return_state=True)
    assert again.is_completed(), again.message
    assert "Cached" not in _task_states(again.state_details.flow_run_id)
    assert again.result()["files_received"] == len(files)


def test_a_brief_that_cannot_be_made_fails_the_run_but_not_the_others(prefect_harness, home, catalog):
    from flows.quarterly import quarterly_run
    from plantrack.report import brief_filename
    from warehouse.db import connect

    inbox, out = home / "inbox" / Q2.code, home / "out" / Q2.code
    make_demo_submissions(catalog, Q2, inbox)
    blocked = out / brief_filename(Q2, {"unit": "rongcheng", "name": "荣成市"}, catalog)
    blocked.mkdir(parents=True)  # something in the way of 荣成市's brief
    state = quarterly_run(quarter="2021Q2", inbox=str(inbox), return_state=True)
    assert state.is_failed() and "briefs not rendered: 荣成市" in state.message
    summary = state.result(raise_on_failure=False)
    assert set(summary["briefs_failed"]) == {"rongcheng"} and summary["files_accepted"] == 10
    published = {Path(p).name for p in summary["outputs"]["outbox"]}
    assert len([n for n in published if n.endswith(".pdf")]) == 11 and blocked.name not in published
    con = connect(home / "warehouse" / "plantrack.duckdb", read_only=True)
    (run_state,) = con.execute("select state from runs order by started_at desc limit 1").fetchone()
    con.close()
    assert run_state == "briefs_failed"


def test_a_quarter_of_a_year_without_a_plan_fails_and_leaves_the_inbox_alone(prefect_harness, home, tmp_path):
    """A scheduled run in April 2022 with only the 2021 plan loaded must not brief leadership
    on the wrong year's targets: it fails saying so, and the files wait for the right plan."""
    from flows.quarterly import quarterly_run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "环翠区_2022Q1.xlsx").write_bytes(b"PK not read")
    state = quarterly_run(quarter="2022Q1", inbox=str(inbox), return_state=True)
    assert state.is_failed()
    assert "没有2022年的计划" in state.message and "plantrack plan init" in state.message
    assert [p.name for p in inbox.iterdir()] == ["环翠区_2022Q1.xlsx"]
    assert not (home / "warehouse" / "plantrack.duckdb").exists()
    assert not (home / "out" / "2022Q1").exists()


def test_a_second_run_waits_then_exits_with_a_clear_message(prefect_harness, home, monkeypatch):
    from flows.quarterly import quarterly_run
    from warehouse.lock import writer_lock

    monkeypatch.setenv("PLANTRACK_LOCK_WAIT_SECONDS", "0.5")
    (home / "inbox" / Q2.code).mkdir(parents=True)
    with writer_lock(home / "warehouse" / "plantrack.duckdb"):
        state = quarterly_run(quarter="2021Q2", return_state=True)
    assert state.is_failed()
    assert "另一个季度流程正在写入数仓" in state.message


KILLER = """
import sys, time
from pathlib import Path
from plantrack import pipeline
from plantrack.catalog import catalog_from_settings
from plantrack.periods import Quarter
from plantrack.plans import plan_for_year
from plantrack.settings import load_settings
from warehouse.db import connect

settings = load_settings()
catalog = catalog_from_settings(settings)
q = Quarter(2021, 2)
outcomes = [pipeline.ingest_file(p, catalog, q, settings.archive, plan_for_year(settings, 2021).suites_dir)
            for p in pipeline.discover(Path(sys.argv[1]))]

def stall(con, *args, **kwargs):
    Path(sys.argv[2]).write_text("loading")
    time.sleep(600)

# the load gets as far as the catalog tables, its last step, then waits to be killed
pipeline.refresh_catalog_tables = stall
pipeline.load(connect(settings.warehouse_path), "killed-run", q, catalog, outcomes, settings)
"""


def _dump(db: Path) -> dict[str, list]:
    from warehouse.db import connect

    con = connect(db, read_only=True)
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
    ]
    dump = {t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in tables}
    con.close()
    return dump


def test_a_run_killed_during_the_load_leaves_the_warehouse_as_it_was(home, catalog, tmp_path):
    from plantrack import pipeline
    from plantrack.settings import load_settings
    from warehouse.db import connect

    settings = load_settings()
    first = home / "inbox" / "first"
    make_demo_submissions(catalog, Q2, first)
    outcomes = [
        pipeline.ingest_file(p, catalog, Q2, settings.archive, SUITES_2021)
        for p in pipeline.discover(first)[:3]
    ]
    con = connect(settings.warehouse_path)
    pipeline.load(con, "first-run", Q2, catalog, outcomes, settings)
    con.close()
    before = _dump(settings.warehouse_path)

    second = home / "inbox" / "second"
    second.mkdir()
    for p in pipeline.discover(first)[3:]:
        shutil.copy(p, second / p.name)
    flag = tmp_path / "loading.flag"
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(second), str(flag)],
        cwd=REPO,
        env={**os.environ, "PLANTRACK_HOME": str(home)},
    )
    try:
        deadline = time.monotonic() + 300
        while not flag.exists():
            assert proc.poll() is None, "the loader ended before it was killed"
            assert time.monotonic() < deadline, "the loader never reached the load"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _dump(settings.warehouse_path) == before
