"""Each file's ingest outcome is kept on its own (``ingest_cache.with_file_cache``): a batch
that is not in the cache validates only its files that are not either."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantrack import pipeline
from plantrack.demo import make_demo_submissions
from plantrack.ingest_cache import batch_key, file_key, with_file_cache
from plantrack.periods import Quarter
from tests.conftest import SUITES_2021

Q2 = Quarter(2021, 2)
FINGERPRINT = "f" * 64


@pytest.fixture
def store(tmp_path, monkeypatch, prefect_harness):
    """Prefect's local result storage in a folder of the test's own, as a task would have it.
    Prefect is set up by the session's harness first, as plantrack configures it: imported
    here on its own, its logging kept a stream that a later test's run found closed."""
    import prefect.results
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.serializers import PickleSerializer
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    storage = tmp_path / "storage"
    storage.mkdir()
    result_store = ResultStore(  # as the ingest task's: nothing kept in memory
        result_storage=LocalFileSystem(basepath=str(storage)),
        serializer=PickleSerializer(),
        cache_result_in_memory=False,
    )
    monkeypatch.setattr(prefect.results, "get_result_store", lambda: result_store)
    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}):
        yield storage


@pytest.fixture(scope="module")
def submissions(tmp_path_factory, catalog) -> list[Path]:
    files, _ = make_demo_submissions(catalog, Q2, tmp_path_factory.mktemp("inbox"))
    return sorted(files)[:4]


class Recorder:
    """``pipeline.ingest_batch`` for the paths it is given, each call's paths kept."""

    def __init__(self, catalog, archive: Path):
        self.catalog, self.archive, self.calls = catalog, archive, []

    def __call__(self, paths: list[Path]) -> list:
        self.calls.append(list(paths))
        return pipeline.ingest_batch(paths, self.catalog, Q2, self.archive, SUITES_2021)


def _summary(outcomes) -> list:
    return [
        (o.received.path, o.unit, o.accepted, sorted((i.code, i.cell or "") for i in o.issues))
        for o in outcomes
    ]


def test_kept_outcomes_are_given_back_and_only_new_files_validated(store, submissions, catalog, tmp_path):
    archive = tmp_path / "archive"
    ingest = Recorder(catalog, archive)
    first = with_file_cache(submissions, FINGERPRINT, archive, ingest)
    assert ingest.calls == [submissions]
    assert _summary(first) == _summary(
        pipeline.ingest_batch(submissions, catalog, Q2, tmp_path / "a2", SUITES_2021)
    )

    again = with_file_cache(submissions, FINGERPRINT, archive, ingest)
    assert ingest.calls == [submissions]  # nothing validated: every outcome was kept
    assert _summary(again) == _summary(first)

    # another batch of the same files and one more: its boundaries moved, the files did not
    more = submissions[1:]
    assert with_file_cache(list(reversed(more)), FINGERPRINT, archive, ingest)[0].received.path == more[-1]
    assert ingest.calls == [submissions]


def test_a_changed_file_alone_is_validated_again(store, submissions, catalog, tmp_path):
    archive = tmp_path / "archive"
    paths = []
    for path in submissions:  # copies: this test changes one
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        paths.append(copy)
    ingest = Recorder(catalog, archive)
    with_file_cache(paths, FINGERPRINT, archive, ingest)
    paths[2].write_bytes(paths[2].read_bytes() + b"\0")
    outcomes = with_file_cache(paths, FINGERPRINT, archive, ingest)
    assert ingest.calls[1:] == [[paths[2]]]
    assert [o.received.path for o in outcomes] == paths  # in the batch's order
    # another fingerprint (a changed plan, check or library) keeps nothing
    with_file_cache(paths, "0" * 64, archive, ingest)
    assert ingest.calls[2:] == [paths]


def test_a_record_that_cannot_be_read_is_validated_again_and_replaced(store, submissions, catalog, tmp_path):
    archive = tmp_path / "archive"
    ingest = Recorder(catalog, archive)
    with_file_cache(submissions, FINGERPRINT, archive, ingest)
    record = store / file_key(FINGERPRINT, archive, submissions[1])
    record.write_bytes(record.read_bytes()[:100])  # cut short, as by a full disk
    outcomes = with_file_cache(submissions, FINGERPRINT, archive, ingest)
    assert ingest.calls[1:] == [[submissions[1]]]
    assert outcomes[1].received.path == submissions[1]
    with_file_cache(submissions, FINGERPRINT, archive, ingest)
    assert len(ingest.calls) == 2  # the record was written whole again


def test_refreshing_the_cache_validates_every_file(store, submissions, catalog, tmp_path):
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    archive = tmp_path / "archive"
    ingest = Recorder(catalog, archive)
    with_file_cache(submissions, FINGERPRINT, archive, ingest)
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):
        with_file_cache(submissions, FINGERPRINT, archive, ingest)
    assert ingest.calls == [submissions, submissions]


def test_a_files_key_is_never_a_batch_of_one(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"x")
    one = file_key(FINGERPRINT, tmp_path, path)
    assert one.startswith("ingest-file-") and one != batch_key(FINGERPRINT, tmp_path, [path])
    other = tmp_path / "b.xlsx"
    other.write_bytes(b"x")  # the same bytes elsewhere: an outcome names its file
    assert file_key(FINGERPRINT, tmp_path, other) != one


def test_a_record_that_cannot_be_written_costs_only_the_cache(store, submissions, catalog, tmp_path, caplog):
    """A full disk under the result storage: the batch's verdicts are still given, the
    files are validated again next time."""
    from prefect.results import ResultStore

    archive = tmp_path / "archive"
    ingest = Recorder(catalog, archive)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as patch, caplog.at_level("WARNING", logger="plantrack"):
        patch.setattr(ResultStore, "write", full)
        outcomes = with_file_cache(submissions[:2], FINGERPRINT, archive, ingest)
    assert [o.received.path for o in outcomes] == submissions[:2]
    assert "No space left on device" in caplog.text and submissions[0].name in caplog.text
    with_file_cache(submissions[:2], FINGERPRINT, archive, ingest)
    assert ingest.calls == [submissions[:2], submissions[:2]]  # nothing was kept
