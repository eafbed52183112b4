"""Receipt time is when plantrack first saw a file, not the mtime its sender chose.

A newer version with an old mtime wins over the older one; the earlier version's exact
bytes sent again are a new receipt and count as the latest (the steward re-sent what she
means); the same bytes under two names in one inbox are one submission, never doubled.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

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
