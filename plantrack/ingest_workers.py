"""A large quarter's batches read and validated in worker processes, one per core.

Reading and validation are Python that holds the GIL: the flow's ingest threads (one per
core) take turns on one core. For a large quarter each ingest task hands its batch to a
pool of worker processes instead, and waits for the result (the thread then holds
nothing). The verdicts are the same: a worker runs exactly ``pipeline.ingest_batch``.

A worker starts clean from a fork server (no Prefect, DuckDB or thread state inherited)
that has imported Great Expectations once for all of them, and keeps its GX context and
suites for every batch it is given. Starting the workers costs that import (about 7 s of
one core); until a worker is up, this process ingests the batches itself. So
a small quarter (the demo's) stays on threads (``WORKERS_FROM``), and the first batch of a
run that is not taken from the cache runs in this process (a run again after one changed
file starts no worker). The flow ends the pool when ingest is over, before the load: its
memory is given back before the briefs are drawn. A worker that dies (a crash in native
code on a hostile file) fails its batch's task, which Prefect retries in a new pool;
other batches are not affected.
"""

from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from plantrack.catalog import Catalog
from plantrack.periods import Quarter
from plantrack.processes import available_cores, forkserver_context

WORKERS_FROM = 300  # files in a run from which its batches go to worker processes

_lock = threading.Lock()
_pool: list[ProcessPoolExecutor] = []
_begun = [0]  # batches of this run that needed work so far
_ready: list = []  # one future per worker of the pool, done once that worker is up


def count(files: int) -> int:
    """Worker processes for a run of this many files: one per core, or 0 (threads) when
    there is one core or too few files to be worth the workers' start."""
    cores = available_cores()
    return cores if cores > 1 and files >= WORKERS_FROM else 0


def _start_worker() -> None:
    import plantrack.validate.preloaded  # noqa: F401  (loaded already when the fork server did)


def _started() -> None:
    """Run in each new worker: its result says the worker is up."""


def _pool_for(workers: int) -> ProcessPoolExecutor:
    with _lock:
        if not _pool:
            context = forkserver_context("plantrack.validate.preloaded")
            pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
            _pool.append(pool)
            _ready[:] = [pool.submit(_started) for _ in range(workers)]
        return _pool[0]


def _starting() -> bool:
    """Whether no worker is up yet (a broken start counts as up: the batch then fails)."""
    with _lock:
        return not any(f.done() for f in _ready)


def ingest_batch(
    paths: list[Path], catalog: Catalog, quarter: Quarter, archive: Path, suites_dir: Path, workers: int
) -> list:
    """``pipeline.ingest_batch`` in a worker process; a broken pool is replaced for the retry.

    The run's first batch to need work (not taken from the cache) runs here instead: a
    run again after one changed file then never pays for the workers' start.
    """
    from plantrack import pipeline

    with _lock:
        _begun[0] += 1
        first = _begun[0] == 1
    if first or not workers:
        return pipeline.ingest_batch(paths, catalog, quarter, archive, suites_dir)
    pool = _pool_for(workers)
    if _starting():  # the workers' fork server is still importing: ingest here meanwhile
        return pipeline.ingest_batch(paths, catalog, quarter, archive, suites_dir)
    try:
        return pool.submit(pipeline.ingest_batch, paths, catalog, quarter, archive, suites_dir).result()
    except BrokenProcessPool:
        with _lock:
            if _pool and _pool[0] is pool:
                _pool.clear()
                _ready.clear()
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def stop() -> None:
    """End the workers (the flow, once every batch is in)."""
    with _lock:
        pools = list(_pool)
        _pool.clear()
        _ready.clear()
        _begun[0] = 0
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)
