"""The quick commands start quickly: they import neither GX, Prefect nor WeasyPrint.

Each command runs in a fresh interpreter (so nothing another test imported counts),
then lists which of the heavy libraries ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.progress.warehouse_builder import build_warehouse

HEAVY = ("great_expectations", "prefect", "weasyprint")
PROBE = """
import json, sys
from plantrack.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.argv[1].split(",") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def imported(args: list[str], home, modules=HEAVY) -> dict:
    env = {**os.environ, "PLANTRACK_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["plan", "show"],
        ["plan", "show", "--json"],
        ["template", "--help"],
        ["check", "--help"],
        ["run", "--help"],
        ["progress", "--help"],
    ],
)
def test_help_and_the_catalog_import_no_heavy_library(args, home):
    assert imported(args, home) == {"code": 0, "heavy": []}


def test_template_writes_a_workbook_without_the_heavy_libraries(home, tmp_path):
    out = tmp_path / "blank"
    assert imported(["template", "--quarter", "2021Q2", "--unit", "huancui", "--out", str(out)], home) == {
        "code": 0,
        "heavy": [],
    }
    assert list(out.glob("*.xlsx"))


def test_progress_from_the_warehouse_without_the_heavy_libraries(settings, home):
    build_warehouse(settings.warehouse_path)
    assert imported(["progress", "--quarter", "2021Q2", "--json"], home) == {"code": 0, "heavy": []}


def test_check_imports_gx_but_not_the_writers_nor_what_gx_defers(home):
    """A cold ``check`` pays for GX and the reader only: not openpyxl (which only writes
    workbooks), not GX's scipy.stats (deferred), not Prefect nor WeasyPrint."""
    modules = ("great_expectations", "openpyxl", "scipy.stats._stats_py", "prefect", "weasyprint")
    fixture = Path(__file__).resolve().parent / "fixtures" / "validation" / "uom_mismatch.xlsx"
    assert imported(["check", str(fixture)], home, modules) == {"code": 1, "heavy": ["great_expectations"]}
