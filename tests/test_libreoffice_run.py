"""The LibreOffice round trip through the whole product, from the command line.

Every unit's template with values typed by LibreOffice Calc (tests/fixtures/libreoffice)
goes through ``plantrack run`` as .xlsx, then again as .xls, then as .ods (each a
resubmission replacing the last), and ``plantrack progress --json`` must give exactly
the numbers that were typed after each. Then the run's own fix-it workbooks are
corrected in Calc, sent back, and the next run loads exactly what was meant.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from plantrack.cli import main
from plantrack.validate import check_file
from tests.conftest import REPO, SUITES_2021
from tests.fixtures.libreoffice.make_fixtures import HERE, Q2, corrections, run_typist, typed_plan

pytestmark = pytest.mark.flow
PLANTRACK = str(REPO / ".venv" / "bin" / "plantrack")


def plantrack(home: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [PLANTRACK, *args],
        env={**os.environ, "PLANTRACK_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (args, proc.stderr[-3000:])
    return proc


def progress(home: Path, unit: str, monkeypatch, capsys) -> dict[str, float | None]:
    """indicator → the figure ``plantrack progress --json`` shows for the unit (the command's
    own entry point, in this process: 44 new interpreters would add a minute)."""
    monkeypatch.setenv("PLANTRACK_HOME", str(home))
    capsys.readouterr()
    assert main(["progress", "--quarter", Q2.code, "--unit", unit, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    return {i["id"]: i["actual"] for i in doc["indicators"]}


def typed_numbers(cells) -> dict[str, float | None]:
    return {t.record: t.meant for t in cells if t.sheet == "填报" and t.cell.startswith("E")}


def test_what_libreoffice_typed_is_what_progress_shows_in_every_format(
    tmp_path, catalog, monkeypatch, capsys
):
    home = tmp_path / "home"
    plan = typed_plan(catalog)
    units = [u.code for u in catalog.reporting_units()]
    for ext in ("xlsx", "xls", "ods"):
        inbox = tmp_path / f"inbox_{ext}"
        inbox.mkdir()
        for unit in units:
            shutil.copyfile(HERE / f"{unit}.{ext}", inbox / f"{unit}.{ext}")
        plantrack(
            home, "run", "--quarter", Q2.code, "--inbox", str(inbox), "--out", str(tmp_path / f"out_{ext}")
        )
        for unit in units:
            assert progress(home, unit, monkeypatch, capsys) == typed_numbers(plan[unit]), (ext, unit)

    # the fix-it workbooks of the .ods run, corrected in Calc where flagged, sent back as .xlsx
    fixits = tmp_path / "out_ods" / "fixit"
    inbox = tmp_path / "inbox_fixed"
    inbox.mkdir()
    jobs, expected = [], {}
    for unit in units:
        verdict = check_file(HERE / f"{unit}.ods", catalog, Q2, SUITES_2021)
        edits, fixed = corrections(verdict, plan[unit])
        expected[unit] = typed_numbers(plan[unit]) | fixed
        if edits:
            assert (fixits / f"{unit}.xlsx").is_file(), unit
            outputs = [[str(inbox / f"{unit}_修改后.xlsx"), "Calc MS Excel 2007 XML", {}]]
            jobs.append({"source": str(fixits / f"{unit}.xlsx"), "edits": edits, "outputs": outputs})
    assert jobs  # the typed plan has cells to correct
    run_typist(jobs, tmp_path)
    plantrack(home, "run", "--quarter", Q2.code, "--inbox", str(inbox), "--out", str(tmp_path / "out_fixed"))
    for unit in units:
        assert progress(home, unit, monkeypatch, capsys) == expected[unit], unit
