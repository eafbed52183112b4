"""The ingest cache key follows the code that reading and validation run, found from the
import graph, and refuses to be computed without a source it needs."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from plantrack.ingest_cache import (
    INGEST_FILES,
    INGEST_MODULES,
    ingest_fingerprint,
    module_closure,
    module_file,
)
from plantrack.periods import Quarter
from plantrack.settings import load_settings
from tests.conftest import PLAN_2021, REPO

Q2 = Quarter(2021, 2)


@pytest.fixture(scope="module")
def settings():
    return load_settings({})


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the first-party packages and uv.lock, to change code without touching ours."""
    root = tmp_path / "repo"
    for folder in ("plantrack", "transforms", "expectations", "warehouse"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "plans"))
    shutil.copyfile(REPO / "uv.lock", root / "uv.lock")
    return root


def _touched(path: Path):
    original = path.read_bytes()
    path.write_bytes(original + b"\n# changed\n")
    return original


def test_the_key_covers_the_modules_reading_and_validation_import():
    closure = {p.relative_to(REPO).as_posix() for p in module_closure(INGEST_MODULES, REPO)}
    for name in (
        "plantrack.validate",
        "plantrack.reader",
        "plantrack.issues",
        "plantrack.landing",
        "plantrack.catalog",
        "plantrack.periods",
        "plantrack.workbook_contract",
        "transforms.cleaning",
        "transforms.numerals",
        "plantrack",
        "transforms",
    ):
        assert module_file(name, REPO).relative_to(REPO).as_posix() in closure, name
    # rendering and publishing are not part of a verdict
    assert not closure & {"plantrack/report/__init__.py", "plantrack/publish.py", "plantrack/pipeline.py"}


def test_changing_any_module_that_check_file_imports_changes_the_key(tree, settings):
    before = ingest_fingerprint(settings, Q2, tree)
    sources = [*module_closure(INGEST_MODULES, tree), *(tree / f for f in INGEST_FILES)]
    assert len(sources) > 10
    for path in sources:
        original = _touched(path)
        assert ingest_fingerprint(settings, Q2, tree) != before, path.relative_to(tree)
        path.write_bytes(original)
    assert ingest_fingerprint(settings, Q2, tree) == before


def test_a_module_ingest_does_not_import_leaves_the_key_alone(tree, settings):
    before = ingest_fingerprint(settings, Q2, tree)
    _touched(tree / "plantrack" / "publish.py")
    assert ingest_fingerprint(settings, Q2, tree) == before


def test_a_new_import_brings_its_module_into_the_key(tree, settings):
    reader = tree / "plantrack" / "reader" / "submission.py"
    reader.write_text(
        reader.read_text("utf-8") + "\n\ndef _later():\n"
        "    from plantrack import publish\n    return publish\n",
        "utf-8",
    )
    before = ingest_fingerprint(settings, Q2, tree)
    _touched(tree / "plantrack" / "publish.py")  # imported inside a function: still counted
    assert ingest_fingerprint(settings, Q2, tree) != before


def _plan_copy(settings, tmp_path) -> tuple:
    """Settings whose plans directory holds a copy of the 2021 plan (it wins over the built-in)."""
    plans = tmp_path / "plans"
    shutil.copytree(PLAN_2021, plans / "2021")
    return dataclasses.replace(settings, plans_dir=plans), plans / "2021"


def test_the_catalog_suites_and_quarter_are_in_the_key(tree, settings, tmp_path):
    before = ingest_fingerprint(settings, Q2, tree)
    assert ingest_fingerprint(settings, Quarter(2021, 3), tree) != before
    moved, plan = _plan_copy(settings, tmp_path)
    assert ingest_fingerprint(moved, Q2, tree) == before
    first = sorted((plan / "suites").glob("*.json"))[0]
    first.write_text(first.read_text("utf-8") + " ", "utf-8")
    assert ingest_fingerprint(moved, Q2, tree) != before
    # an allocation or baselines file may be absent (none allocated): that is part of the key
    first.write_text(first.read_text("utf-8")[:-1], "utf-8")
    assert ingest_fingerprint(moved, Q2, tree) == before
    (plan / "baselines.csv").unlink()
    assert ingest_fingerprint(moved, Q2, tree) != before


@pytest.mark.parametrize("missing", ["uv.lock", "catalog", "suites", "module"])
def test_a_missing_source_is_an_error_not_skipped(tree, settings, tmp_path, missing):
    if missing == "uv.lock":
        (tree / "uv.lock").unlink()
    elif missing == "catalog":
        settings, plan = _plan_copy(settings, tmp_path)
        (plan / "units.toml").unlink()
    elif missing == "suites":
        settings, plan = _plan_copy(settings, tmp_path)
        shutil.rmtree(plan / "suites")
    else:
        reader = tree / "plantrack" / "reader" / "submission.py"
        reader.write_text("from plantrack.nowhere import anything\n" + reader.read_text("utf-8"), "utf-8")
    with pytest.raises(FileNotFoundError):
        ingest_fingerprint(settings, Q2, tree)


def test_a_package_with_relative_imports_is_followed(tmp_path):
    files = {
        "pkg/__init__.py": "from .a import f\n",
        "pkg/a.py": "from . import b\n\ndef f():\n    return b\n",
        "pkg/b.py": "import json\nfrom .sub.c import g\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from .. import d\ng = 1\n",
        "pkg/d.py": "",
        "pkg/unused.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    closure = {p.relative_to(tmp_path).as_posix() for p in module_closure(("pkg",), tmp_path)}
    assert closure == set(files) - {"pkg/unused.py"}
