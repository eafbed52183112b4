"""Receipt times: when plantrack first saw a content at a path (the ``inbox_sightings`` ledger)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from plantrack.landing.archive import Received
from plantrack.landing.inserts import insert_rows, present


def arrival_time(path: Path) -> datetime:
    """When ``path`` got its current content on this machine, as naive UTC: its inode change
    time, which writing, copying or unpacking the file sets and ``touch -d`` cannot set back
    (the mtime is the sender's to choose). Never later than now."""
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        return min(datetime.fromtimestamp(path.lstat().st_ctime, UTC).replace(tzinfo=None), now)
    except OSError:  # gone from the inbox since it was read: seen now
        return now


def stamp_receipts(
    con: duckdb.DuckDBPyConnection, received: list[Received], vouched: dict[Path, datetime] | None = None
) -> list[Received]:
    """Each file with its receipt time and key from the inbox ledger (``inbox_sightings``),
    recording the sightings not there yet. Callers own the transaction.

    - The content a path held the last time plantrack looked: the same receipt as then.
    - A new content at a path: received when it arrived (``arrival_time``), whatever its mtime.
    - A content received before (the same bytes sent again, under this name or another,
      after something else): a new receipt, the latest if it is the last one sent, so that
      a steward who re-sends her earlier version gets that version counted.
    - A content landed before the ledger existed: its first receipt, as landed then.

    ``vouched``: receipt times a trusted writer of the inbox states (the demo, which plays
    files sent days ago), used instead of the arrival time for those paths.
    """
    if not received:
        return []
    sources = [r.source for r in received]
    last_at_path = {
        row[0]: row[1:]
        for row in con.execute(
            "select source_path, file_hash, first_seen_at, receipt_key from int_last_sightings "
            "where source_path in (select unnest(?::varchar[]))",
            [sources],
        ).fetchall()
    }
    hashes = [r.file_hash for r in received]
    sighted = present(con, "stg_inbox_sightings", "file_hash", hashes)
    landed = dict(
        con.execute(
            "select file_hash, received_at from int_first_landed_receipts "
            "where file_hash in (select unnest(?::varchar[]))",
            [hashes],
        ).fetchall()
    )
    stamped, new_rows = [], []
    for r in received:
        last = last_at_path.get(r.source)
        if last is not None and last[0] == r.file_hash:
            stamped.append(replace(r, received_at=last[1], receipt_key=last[2]))
            continue
        arrived = (vouched or {}).get(r.path) or arrival_time(r.path)
        if r.file_hash in sighted:
            at, key = arrived, arrived.isoformat()
        elif r.file_hash in landed:
            at, key = landed[r.file_hash], ""
        else:
            at, key = arrived, ""
        sighted.add(r.file_hash)
        new_rows.append((r.file_hash, r.source, at, key, datetime.now(UTC).replace(tzinfo=None)))
        stamped.append(replace(r, received_at=at, receipt_key=key))
    insert_rows(con, "inbox_sightings", new_rows)
    return stamped
