"""The validation's one change to how GX runs: each expectation's configuration built once
per validation (plantrack.validate.gx._install_configuration_memo). Verdicts, issues and
GX's own results must be exactly what GX's unchanged property gives."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from plantrack.periods import parse_quarter
from plantrack.settings import PLANS_DIR
from plantrack.validate import check_file, gx

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"
SUITES = PLANS_DIR / "2021" / "suites"
CASES = ["clean.xlsx", "clean_bureau.xlsx", "negative_value.xlsx", "invalid_status.xlsx", "duplicate_indicator.xlsx", "implausible_value.xlsx", "unknown_milestone.xlsx"]  # fmt: skip


def _timeless(value):
    """GX's results without the times and run ids that differ between any two runs."""
    if isinstance(value, dict):
        return {
            k: _timeless(v) for k, v in value.items() if "time" not in k and k not in ("run_id", "run_name")
        }
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def verdict(path: Path, catalog) -> tuple:
    v = check_file(path, catalog, parse_quarter("2021Q2"), SUITES).validation
    issues = [(i.code, i.cell, i.message) for i in v.issues]
    return issues, json.dumps(_timeless(v.gx_results), sort_keys=True, default=str), v.expectation_results


@pytest.mark.parametrize("name", CASES)
def test_the_configuration_memo_changes_no_verdict(name, catalog, monkeypatch):
    from great_expectations.expectations.expectation import Expectation

    remembered = verdict(FIXTURES / name, catalog)  # the memo is installed by now
    assert gx.GX_CONFIGURATION[0] is not None
    assert Expectation.configuration.fget is not gx.GX_CONFIGURATION[0]
    monkeypatch.setattr(Expectation, "configuration", property(gx.GX_CONFIGURATION[0]))
    assert verdict(FIXTURES / name, catalog) == remembered


def test_nothing_is_kept_after_a_validation(catalog):
    verdict(FIXTURES / "clean.xlsx", catalog)
    assert gx._local.configurations is None  # this thread's memo is dropped at the end


@pytest.mark.parametrize("name", ["clean.xlsx", "negative_value.xlsx", "unknown_milestone.xlsx"])
def test_a_check_without_data_docs_gives_the_same_verdict(name, catalog):
    """`plantrack check` and the portal skip GX's JSON results, which only Data Docs read."""
    quarter = parse_quarter("2021Q2")
    full = check_file(FIXTURES / name, catalog, quarter, SUITES).validation
    checked = check_file(FIXTURES / name, catalog, quarter, SUITES, data_docs=False).validation
    assert full.gx_results and checked.gx_results == []
    # kept packed until Data Docs read them: far smaller than the results as objects
    assert 0 < len(full.gx_packed) < len(pickle.dumps(full.gx_results)) / 2 and checked.gx_packed == b""
    assert [(i.code, i.cell, i.message, i.hint) for i in checked.issues] == [
        (i.code, i.cell, i.message, i.hint) for i in full.issues
    ]
    assert checked.expectation_results == full.expectation_results
    assert checked.rejected == full.rejected
    assert checked.accepted.equals(full.accepted)


KL_PROBE = """
import json, sys
import polars as pl
from plantrack.validate import gx
gx.preload()
deferred = "scipy.stats._stats_py" not in sys.modules
frame = pl.DataFrame({"row_number": [1, 2, 3, 4], "x": ["a", "b", "a", "b"]})
found = []
for weights in ([0.5, 0.5], [0.9, 0.1]):
    kwargs = {"column": "x", "partition_object": {"values": ["a", "b"], "weights": weights}, "threshold": 0.1}
    suite = {"name": "kl", "expectations": [
        {"type": "expect_column_kl_divergence_to_be_less_than", "kwargs": kwargs, "meta": {}, "severity": "critical"}
    ]}
    r = gx.run_suite(frame, suite).results[0]
    found.append([r.success, round(r.result["observed_value"], 4), r.exception_info["raised_exception"]])
print(json.dumps({"deferred": deferred, "found": found, "loaded": "scipy.stats._stats_py" in sys.modules}))
"""


def test_gx_comes_without_scipy_stats_which_loads_when_an_expectation_uses_it():
    """scipy.stats is deferred (``DEFERRED_BY_GX``), not removed: a suite with GX's KL
    divergence expectation, which no plan of ours writes, still computes it with scipy."""
    done = subprocess.run([sys.executable, "-c", KL_PROBE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    # KL(0.5/0.5 ‖ 0.9/0.1) = 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1) = 0.5108
    assert got == {"deferred": True, "found": [[True, 0.0, False], [False, 0.5108, False]], "loaded": True}
