"""The key of the ingest cache: everything a file's verdict depends on besides its bytes.

The quarterly flow caches each batch's ingest results (``flows/quarterly.py``) under
the batch's file contents plus ``ingest_fingerprint``: the quarter; the catalog,
units, allocation, baselines and suites in force; the locked third-party versions
(``uv.lock``); and the source of every first-party module that ingesting a file
executes. Those modules are found from the import graph, not listed by hand: the
modules ``pipeline.ingest_file`` calls into (``INGEST_MODULES``) and every
first-party module they import, at any depth and inside functions, with the
``__init__`` of each package on the way; and ``pipeline.py`` itself, whose
``FileOutcome`` is what the cache stores. A path that should be there and is not
is an error: a key silently missing a source would serve stale verdicts.

The batches themselves are made here too (``ingest_batches``), and each batch's key
(``batch_key``). Each file's outcome is also kept on its own (``with_file_cache``, under
``file_key``): a batch that is not in the cache validates only its files that are not
either. One changed file then validates one file, not its batch; a file added to the
inbox, which moves the batches' boundaries after it, validates only itself; and the
batches can be as large as a GX run likes (``MAX_BATCH``). A command can tell, before
the flow starts, how many files will be validated (``files_to_validate``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from plantrack.catalog import Catalog
from plantrack.landing import sha256_file
from plantrack.periods import Quarter
from plantrack.settings import PROJECT_ROOT, Settings

# What ingest_file runs: validate.check_file reads and judges, landing.archive_file archives.
INGEST_MODULES = ("plantrack.validate", "plantrack.landing")
# Files hashed as they are: ingest_file itself, and the third-party versions.
INGEST_FILES = ("plantrack/pipeline.py", "uv.lock")
ABSENT = b"\0absent\0"  # an optional catalog file (allocation, baselines) that is not there
FILE_KEY_PREFIX = "ingest-file-"  # one file's outcome; "ingest-" alone is a batch's list

log = logging.getLogger("plantrack")

# files per ingest task: a batch validates each of its units in one GX run, whose cost
# per file falls as it has more rows (one process, 1,000 files: batches of 25, 50, 100 and
# 200 took 30, 24, 18 and 21 ms a file; see benchmarks/README.md). Files are cached one
# by one as well, so a large batch costs a rerun nothing: one changed file validates one.
MAX_BATCH = 100


def ingest_threads() -> int:
    """One thread per core: validation is Python that holds the GIL, and more threads than
    cores only take turns (200 files on 2 cores: 59.8 s with Prefect's default of 6
    threads, 53.5 s with 2; see benchmarks/README.md)."""
    from plantrack.processes import available_cores

    return max(2, available_cores())


def ingest_batches(files: list[Path], catalog: Catalog) -> list[list[Path]]:
    """The flow's ingest tasks: the inbox's files in batches, a unit's files together.
    A small run still spreads over the threads (a batch each); a large one stays at
    MAX_BATCH files a task."""
    from plantrack.pipeline import batches_by_unit

    size = max(1, min(MAX_BATCH, math.ceil(len(files) / ingest_threads())))
    return batches_by_unit(files, size, catalog)


def batch_key(fingerprint: str, archive: Path, paths: Sequence[Path]) -> str:
    """The batch's file contents plus everything else its outcomes depend on: where the
    files are (an outcome names its file and where it was received) and where they are
    archived (a result from the cache archives nothing again), not only what is in them."""
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(os.fsencode(Path(archive).resolve()) + b"\0")
    for path in paths:  # as bytes: a name may not be text (a GBK name)
        digest.update(os.fsencode(Path(path).resolve()) + b"\0" + sha256_file(Path(path)).encode() + b"\0")
    return f"ingest-{digest.hexdigest()}"


def file_key(fingerprint: str, archive: Path, path: Path) -> str:
    """The key of one file's outcome: ``batch_key`` of that file alone, named apart from a
    batch of one (whose result is a list of outcomes, not an outcome)."""
    return FILE_KEY_PREFIX + batch_key(fingerprint, archive, [path]).removeprefix("ingest-")


def with_file_cache(
    paths: list[Path], fingerprint: str, archive: Path, ingest: Callable[[list[Path]], list]
) -> list:
    """The outcomes of ``paths`` in their order: each file's kept outcome (``file_key``) when
    it has one, ``ingest`` of the others in one call, whose outcomes are kept in turn.

    Runs inside the ingest task: the store is that task's (Prefect's result storage and
    serializer). A kept outcome that cannot be read (a record cut short, from another
    version) is validated again, never trusted; one that cannot be written is only logged:
    the outcome itself is still the batch's. When the task refreshes its cache
    (``PREFECT_TASKS_REFRESH_CACHE``), no kept outcome is read: every file is validated
    and its record replaced, as Prefect does for the batch.
    """
    from prefect.results import get_result_store

    store = get_result_store()
    keys = {path: file_key(fingerprint, archive, path) for path in paths}
    kept = {} if _refreshing() else {path: _kept(store, key) for path, key in keys.items()}
    found = {path: outcome for path, outcome in kept.items() if outcome is not None}
    todo = [path for path in paths if path not in found]
    if todo:
        for path, outcome in zip(todo, ingest(todo), strict=True):
            found[path] = outcome
            try:
                store.write(outcome, key=keys[path])
            except Exception as exc:  # a full disk, a storage block away: the verdict stands
                log.warning(
                    "could not keep the ingest record of %s (%s): it will be validated again", path.name, exc
                )
    return [found[path] for path in paths]


def _refreshing() -> bool:
    """Whether this task run ignores cached results (as Prefect's task engine decides)."""
    from prefect.context import TaskRunContext
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE

    context = TaskRunContext.get()
    own = context.task.refresh_cache if context is not None else None
    return bool(own if own is not None else PREFECT_TASKS_REFRESH_CACHE.value())


def _kept(store, key: str):
    """The outcome kept under ``key``, or None (not kept, or not readable)."""
    from plantrack.pipeline import FileOutcome

    if not stored_result(key) and store.result_storage_block_id is None:
        return None  # local storage without the file: no record to read (the common case)
    try:
        outcome = store.read(key).result
    except Exception as exc:  # missing from a storage block, cut short, or unpicklable
        log.debug("no usable ingest record %s: %s", key, exc)
        return None
    return outcome if isinstance(outcome, FileOutcome) else None


def stored_result(key: str) -> bool:
    """Whether Prefect's local result storage holds a result under ``key``. With a
    storage block configured instead, nothing is looked into: False."""
    from prefect.settings import get_current_settings

    results = get_current_settings().results
    if results.default_storage_block is not None:
        return False
    return (Path(results.local_storage_path).expanduser() / key).is_file()


def files_to_validate(settings: Settings, quarter: Quarter, inbox: Path, catalog: Catalog) -> int:
    """How many of the files in ``inbox`` the flow will validate: those neither in a cached
    batch nor kept on their own; the files and their keys as the flow will find them."""
    from plantrack.inbox import scan_inbox

    fingerprint = ingest_fingerprint(settings, quarter)
    todo = 0
    for group in ingest_batches(scan_inbox(inbox).files, catalog):
        if not stored_result(batch_key(fingerprint, settings.archive, group)):
            todo += sum(not stored_result(file_key(fingerprint, settings.archive, p)) for p in group)
    return todo


def module_file(name: str, root: Path) -> Path | None:
    """The source file of module ``name`` under ``root`` (a module or a package), or None."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _first_party(name: str, root: Path) -> bool:
    return module_file(name.partition(".")[0], root) is not None


def _imports(path: Path, name: str) -> tuple[frozenset[str], frozenset[str]]:
    """Modules ``path`` imports: those that must exist, and names that may be modules
    (``from package import x``: x is a submodule or just a name)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_bytes(), package)


@functools.lru_cache(maxsize=256)
def _imports_in(source: bytes, package: str) -> tuple[frozenset[str], frozenset[str]]:
    required: set[str] = set()
    maybe: set[str] = set()
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            required.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..a import b
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            required.add(base)
            maybe.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(required), frozenset(maybe)


def _statements(body: list[ast.stmt]):
    """Every statement, at any depth (in functions, classes, if/try/with blocks): imports are
    statements, so expressions need no visit (ast.walk would take ten times as long)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def module_closure(entries: tuple[str, ...], root: Path) -> list[Path]:
    """The source files of ``entries`` and of every first-party module they import,
    transitively, under ``root``; FileNotFoundError for a first-party module not there."""
    found: dict[str, Path] = {}
    todo = [(name, True) for name in entries]
    while todo:
        name, required = todo.pop()
        if name in found or not _first_party(name, root):
            continue  # the standard library or a third-party package: uv.lock covers those
        path = module_file(name, root)
        if path is None:
            if required:
                raise FileNotFoundError(f"module {name} is imported but not found under {root}")
            continue  # `from package import name` where name is not a module
        found[name] = path
        parts = name.split(".")
        todo += [(".".join(parts[:n]), True) for n in range(1, len(parts))]  # parent packages
        must, may = _imports(path, name)
        todo += [(m, True) for m in must] + [(m, False) for m in may]
    return sorted(set(found.values()))


def ingest_sources(settings: Settings, quarter: Quarter, root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file an ingest result depends on besides the files ingested, in a stable order."""
    from plantrack.plans import plan_for_year

    plan = plan_for_year(settings, quarter.year)  # the quarter's plan
    required = [root / f for f in INGEST_FILES]
    required += [plan.catalog_path, plan.units_path]
    for path in required:
        if not path.is_file():
            raise FileNotFoundError(f"the ingest cache key needs {path}, which is not there")
    if not plan.suites_dir.is_dir():
        raise FileNotFoundError(f"the ingest cache key needs the suites in {plan.suites_dir}")
    return [*module_closure(INGEST_MODULES, root), *required, *sorted(plan.suites_dir.glob("*.json"))]


def ingest_fingerprint(settings: Settings, quarter: Quarter, root: Path = PROJECT_ROOT) -> str:
    """What an ingest result depends on besides the file: quarter, plan, suites, code."""
    from plantrack.plans import plan_for_year

    digest = hashlib.sha256(quarter.code.encode())
    for path in ingest_sources(settings, quarter, root):
        _add(digest, path, path.read_bytes(), root)
    # optional: the catalog reads a missing allocation or baselines file as none
    plan = plan_for_year(settings, quarter.year)
    for path in (plan.allocation_path, plan.baselines_path):
        _add(digest, path, path.read_bytes() if path.is_file() else ABSENT, root)
    return digest.hexdigest()


def _add(digest, path: Path, data: bytes, root: Path) -> None:
    label = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    digest.update(f"{label}\0{len(data)}\0".encode())
    digest.update(data)
