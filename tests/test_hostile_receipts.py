"""Receipt time is when plantrack first saw a file, not the mtime its sender chose.

A newer version with an old mtime wins over the older one; the earlier version's exact
bytes sent again are a new receipt and count as the latest (the steward re-sent what she
means); the same bytes under two names in one inbox are one submission, never doubled.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from plantrack import pipeline
from plantrack.periods import Quarter
from tests.conftest import SUITES_2021
from tests.test_landing import submission_file
from warehouse.db import connect

Q2 = Quarter(2021, 2)
LONG_AGO = datetime(2021, 6, 1, 9, 0)  # before the quarter even ended


def _run(settings, catalog, inbox, run_id):
    outcomes = [
        pipeline.ingest_file(p, catalog, Q2, settings.archive, SUITES_2021) for p in pipeline.discover(inbox)
    ]
    con = connect(settings.warehouse_path)
    try:
        pipeline.load(con, run_id, Q2, catalog, outcomes, settings)
        sid, received_at = con.execute(
            "select submission_id, received_at from int_latest_submissions "
            "where unit = 'huancui' and quarter = ?",
            [Q2.code],
        ).fetchone()
        values = con.execute(
            "select indicator_id, value from accepted_values where submission_id = ? order by indicator_id",
            [sid],
        ).fetchall()
        receipts = con.execute("select count(*) from raw_submissions").fetchone()[0]
        return sid, received_at, dict(values), len(values), receipts
    finally:
        con.close()


def _send(tmp_path, inbox, source, name="环翠区.xlsx"):
    target = inbox / name
    shutil.copyfile(source, target)
    stamp = LONG_AGO.replace(tzinfo=UTC).timestamp()
    os.utime(target, (stamp, stamp))  # the sender's clock, or touch -d
    return target


def test_receipt_order_is_plantracks_and_a_resend_is_a_new_receipt(settings, catalog, tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    v1 = submission_file(catalog, versions, "v1.xlsx", {"I04-2-2": 5})
    v2 = submission_file(catalog, versions, "v2.xlsx", {"I04-2-2": 6})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    before = datetime.now(UTC).replace(tzinfo=None)

    _send(tmp_path, inbox, v1)
    sid1, at1, values, _, receipts = _run(settings, catalog, inbox, "run-1")
    assert values["I04-2-2"] == 5 and receipts == 1
    assert at1 >= before.replace(microsecond=0)  # not the mtime of 1 June

    again = _run(settings, catalog, inbox, "run-1b")  # nothing changed: nothing new
    assert again[:2] == (sid1, at1) and again[4] == 1

    _send(tmp_path, inbox, v2)  # a newer version, with an even older mtime
    sid2, at2, values, _, receipts = _run(settings, catalog, inbox, "run-2")
    assert values["I04-2-2"] == 6 and receipts == 2 and at2 > at1 and sid2 != sid1

    _send(tmp_path, inbox, v1)  # the steward sends her first version again
    sid3, at3, values, n_values, receipts = _run(settings, catalog, inbox, "run-3")
    assert receipts == 3 and at3 > at2
    assert sid3.startswith(sid1 + ":")  # same bytes, a receipt of their own
    assert values["I04-2-2"] == 5

    # the same bytes under a second name: one submission, its rows not doubled
    shutil.copyfile(inbox / "环翠区.xlsx", inbox / "环翠区_副本.xlsx")
    sid4, at4, values, n_again, receipts = _run(settings, catalog, inbox, "run-4")
    assert (sid4, at4, receipts, n_again) == (sid3, at3, 3, n_values)
    assert values["I04-2-2"] == 5


def test_the_same_bytes_twice_in_one_inbox_are_listed_once_as_a_duplicate(settings, catalog, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = submission_file(catalog, inbox, "环翠区.xlsx", {"I04-2-2": 5})
    shutil.copyfile(original, inbox / "环翠区(1).xlsx")
    outcomes = [
        pipeline.ingest_file(p, catalog, Q2, settings.archive, SUITES_2021) for p in pipeline.discover(inbox)
    ]
    kept, duplicates = pipeline.distinct_contents(outcomes)
    assert [o.received.name for o in kept] == ["环翠区(1).xlsx"]
    assert [(d.name, "内容完全相同" in d.reason) for d in duplicates] == [("环翠区.xlsx", True)]
    _, _, _, n_values, receipts = _run(settings, catalog, inbox, "run")
    assert receipts == 1 and n_values == len(catalog.indicators_for("huancui"))


def test_only_the_demo_vouches_for_its_mtimes(settings, catalog, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    submission_file(catalog, inbox, "环翠区.xlsx", {"I04-2-2": 5}, received=LONG_AGO)
    outcomes = [
        pipeline.ingest_file(p, catalog, Q2, settings.archive, SUITES_2021) for p in pipeline.discover(inbox)
    ]
    con = connect(settings.warehouse_path)
    pipeline.load(con, "demo-run", Q2, catalog, outcomes, settings, trust_mtimes=True)
    assert con.execute("select received_at from raw_submissions").fetchone()[0] == LONG_AGO
    con.close()


def _validation_fixtures(settings, catalog) -> list:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "validation"
    names = ["clean.xlsx", "duplicate_indicator.xlsx", "uom_mismatch.xlsx", "wrong_quarter.xlsx"]
    return [pipeline.ingest_file(fixtures / n, catalog, Q2, settings.archive, SUITES_2021) for n in names]


def test_an_outcome_after_its_load_keeps_what_the_run_reads_later(settings, catalog):
    """The fix-its, the quality page and the summary read the same verdict from it; the
    submission and the staged rows (most of its memory) are left to the warehouse."""
    outcomes = _validation_fixtures(settings, catalog)
    assert [o.validation.rejected for o in outcomes] == [False, False, False, True]
    for before in outcomes:
        after, v = before.after_load(), before.validation
        w = after.validation
        assert after.submission is None and before.submission is not None
        assert (after.received, after.unit, after.accepted, after.errors) == (
            before.received,
            before.unit,
            before.accepted,
            before.errors,
        )
        assert [i.to_dict() for i in after.issues] == [i.to_dict() for i in before.issues]
        assert (w.expectation_results, w.gx_results, w.rejected) == (
            v.expectation_results,
            v.gx_results,
            v.rejected,
        )
        assert w.quarantined.equals(v.quarantined)
        assert w.staged is None and w.staged_milestones is None and w.milestones is None
        if not v.rejected:
            assert w.accepted.height == 0 and w.accepted.schema == v.accepted.schema
        assert v.staged is not None  # the outcome itself is left as it was


def test_the_load_stores_the_rows_and_returns_the_outcomes_without_them(settings, catalog):
    outcomes = _validation_fixtures(settings, catalog)
    con = connect(settings.warehouse_path)
    loaded = pipeline.load(con, "lean-run", Q2, catalog, outcomes, settings)
    stored = con.execute("select count(*) from accepted_values").fetchone()[0]
    con.close()
    assert stored == sum(o.validation.accepted.height for o in outcomes if not o.validation.rejected) > 0
    assert [o.validation.rejected for o in loaded] == [False, False, False, True]
    assert all(o.submission is None and o.validation.staged is None for o in loaded)
