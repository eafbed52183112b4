"""A large quarter's batches in worker processes (plantrack.ingest_workers): the same
outcomes as in the run's own process, the first batch kept here, the pool ended after."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from plantrack import ingest_workers, pipeline
from plantrack.demo import make_demo_submissions
from plantrack.periods import Quarter
from tests.conftest import SUITES_2021

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"


def _summary(outcomes) -> list[tuple]:
    return [
        (
            o.received.name,
            o.received.file_hash,
            o.unit,
            o.accepted,
            [(i.code, i.sheet, i.cell, i.message) for i in o.issues],
            None if o.validation is None else o.validation.accepted.to_dicts(),
        )
        for o in outcomes
    ]


@pytest.fixture(autouse=True)
def _fresh_run():
    ingest_workers.stop()
    yield
    ingest_workers.stop()


def test_batches_in_workers_come_back_as_they_would_here(catalog, tmp_path):
    quarter = Quarter(2021, 2)
    files, _ = make_demo_submissions(catalog, quarter, tmp_path / "inbox")
    files += [FIXTURES / "negative_value.xlsx", FIXTURES / "value_not_number.xls"]
    here = pipeline.ingest_batch(files, catalog, quarter, tmp_path / "archive-here", SUITES_2021)
    first = ingest_workers.ingest_batch(files[:1], catalog, quarter, tmp_path / "a", SUITES_2021, workers=2)
    assert not ingest_workers._pool  # the run's first batch to need work ran in this process
    ingest_workers._pool_for(2)
    for started in ingest_workers._ready:
        started.result(timeout=300)

    def not_here(*args):
        raise AssertionError("a batch ran in this process while the workers were up")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "check_files", not_here)  # what a batch run here would call
        there = ingest_workers.ingest_batch(
            files, catalog, quarter, tmp_path / "archive-there", SUITES_2021, workers=2
        )
    assert _summary(first) == _summary(here[:1])
    assert _summary(there) == _summary(here)
    assert all(o.received.archived_path.is_relative_to(tmp_path / "archive-there") for o in there)
    processes = list(ingest_workers._pool[0]._processes.values())
    ingest_workers.stop()
    assert not ingest_workers._pool and all(not p.is_alive() for p in processes)


def test_small_runs_and_one_core_stay_on_threads(monkeypatch):
    monkeypatch.setattr(ingest_workers, "available_cores", lambda: 2)
    assert ingest_workers.count(ingest_workers.WORKERS_FROM - 1) == 0
    assert ingest_workers.count(ingest_workers.WORKERS_FROM) == 2
    monkeypatch.setattr(ingest_workers, "available_cores", lambda: 1)
    assert ingest_workers.count(500) == 0


def test_while_the_workers_start_the_batches_run_here(catalog, tmp_path, monkeypatch):
    quarter = Quarter(2021, 2)
    files, _ = make_demo_submissions(catalog, quarter, tmp_path / "inbox")
    here = pipeline.ingest_batch(files, catalog, quarter, tmp_path / "archive-here", SUITES_2021)
    ingest_workers.ingest_batch(files[:1], catalog, quarter, tmp_path / "a", SUITES_2021, workers=2)
    pool = ingest_workers._pool_for(2)
    monkeypatch.setattr(ingest_workers, "_ready", [Future(), Future()])  # no worker up yet

    def no_worker(*args, **kwargs):
        raise AssertionError("a batch went to a worker that is not up")

    monkeypatch.setattr(pool, "submit", no_worker)
    meanwhile = ingest_workers.ingest_batch(
        files, catalog, quarter, tmp_path / "archive-meanwhile", SUITES_2021, workers=2
    )
    assert _summary(meanwhile) == _summary(here)
