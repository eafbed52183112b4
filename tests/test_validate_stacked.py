"""Many files validated in one GX run per suite get exactly the verdicts they get one by one.

Every fixture of the validation and reader folders (all units, every mistake, unreadable
files) and the demo's submissions, judged alone (``check_file``) and all together
(``check_files``, what the quarterly run's ingest calls): the same issues, check results
and rows, file by file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plantrack.catalog import catalog_from_settings
from plantrack.demo import make_demo_submissions
from plantrack.periods import Quarter
from plantrack.settings import load_settings
from plantrack.validate import check_file, check_files
from plantrack.validate.stacked import stackable
from tests.conftest import SUITES_2021

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Q2 = Quarter(2021, 2)


def _files(tmp_path: Path, catalog) -> list[Path]:
    files = sorted(
        p
        for folder in ("validation", "submissions")
        for p in (FIXTURES / folder).iterdir()
        if p.is_file() and p.suffix != ".py"
    )
    demo, _ = make_demo_submissions(catalog, Q2, tmp_path / "demo")
    return files + sorted(demo) + sorted(demo)[:3]  # the same file twice in one batch too


def _summary(verdict) -> tuple:
    v = verdict.validation
    if v is None:
        return ([i.to_dict() for i in verdict.issues],)
    frames = [
        f.to_dicts() if f is not None else None
        for f in (v.accepted, v.quarantined, v.milestones, v.milestones_quarantined)
    ]
    return (
        [i.to_dict() for i in v.issues],
        v.expectation_results,
        frames,
        v.city_total_ids,
        len(v.gx_results),
        [g["success"] for g in v.gx_results],
    )


@pytest.fixture(scope="module")
def settings():
    return load_settings({})


def test_the_committed_suites_all_stack(settings):
    from plantrack.validate.gx import suite_data

    assert all(stackable(suite_data(p)) for p in SUITES_2021.glob("*.json"))


def test_files_judged_together_get_the_verdicts_they_get_alone(settings, tmp_path):
    catalog = catalog_from_settings(settings)
    files = _files(tmp_path, catalog)
    alone = [check_file(p, catalog, Q2, SUITES_2021) for p in files]
    together = check_files([(p, p.name) for p in files], catalog, Q2, SUITES_2021)
    assert len(together) == len(files)
    for path, one, many in zip(files, alone, together, strict=True):
        assert _summary(many) == _summary(one), path.name
    assert sum(v.validation is not None for v in together) > 20
    assert any(i.code == "duplicate_indicator" for v in together for i in v.issues)
