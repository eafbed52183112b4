"""The bureau's view of a quarter: each reporting unit's state, from every place a file can be.

A unit's latest receipt decides its state; it may be known to the warehouse
(a run has judged it), to the portal (submitted here, judged on upload with the
same checks) or only to the inbox (mailed or copied in, not judged yet). A unit
is late when its first receipt came after the deadline, as the briefs say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from plantrack.catalog import Catalog, Unit
from plantrack.pipeline import discover
from plantrack.portal.db import Upload
from plantrack.portal.quarters import Window
from plantrack.portal.status import WarehouseView
from plantrack.reader import match_unit

MISSING, ERRORS, VALID, PENDING = "missing", "errors", "valid", "pending"
STATE_LABEL = {MISSING: "未报送", ERRORS: "已报送，有错误", VALID: "已报送，通过", PENDING: "已收到，待校验"}


@dataclass(frozen=True)
class Receipt:
    at: datetime  # naive, the bureau's local time
    state: str
    file: str
    source: str  # 数仓 | 网上报送 | 收件箱
    errors: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class UnitState:
    unit: Unit
    state: str
    late: bool
    latest: Receipt | None
    first_at: datetime | None
    receipts: int

    @property
    def label(self) -> str:
        return STATE_LABEL[self.state]


def local(moment: datetime, zone: str) -> datetime:
    """Aware, or naive UTC (as the warehouse keeps times), to naive local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class InboxHashes:
    """SHA-256 of inbox files, remembered by (path, size, mtime): files are hashed once."""

    def __init__(self):
        self._known: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._known:
            self._known[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._known[key]


def unit_states(
    catalog: Catalog,
    window: Window,
    view: WarehouseView,
    uploads: list[Upload],
    inbox: Path,
    hashes: InboxHashes,
    now: datetime,
    zone: str,
) -> list[UnitState]:
    """One state per unit that reports anything, in the catalog's order."""
    receipts: dict[str, list[Receipt]] = {}
    firsts: dict[str, datetime] = {}
    counts: dict[str, int] = {}

    def add(unit: str, receipt: Receipt, first: datetime | None = None, count: int = 1) -> None:
        receipts.setdefault(unit, []).append(receipt)
        first = min(first or receipt.at, receipt.at)
        firsts[unit] = min(firsts.get(unit, first), first)
        counts[unit] = counts.get(unit, 0) + count

    for unit, row in view.units.items():
        if row["receipts"]:
            state = VALID if row["state"] == "已采用" and not row["errors"] else ERRORS
            add(
                unit,
                Receipt(
                    local(row["last_received_at"], zone),
                    state,
                    row["original_name"] or "",
                    "数仓",
                    row["errors"],
                    row["warnings"],
                ),
                local(row["first_received_at"], zone) if row["first_received_at"] else None,
                row["receipts"],
            )
    landed = set(view.receipts)
    portal_names = set()
    for u in uploads:
        if u.submitted_at is None:
            continue
        portal_names.add(u.inbox_name)
        if u.file_hash not in landed:  # once landed, the warehouse's verdict speaks for it
            add(
                u.unit,
                Receipt(
                    local(u.submitted_at, zone),
                    ERRORS if u.errors else VALID,
                    u.original_name,
                    "网上报送",
                    u.errors,
                    u.warnings,
                ),
            )
    for path in discover(inbox):
        if path.name in portal_names or hashes(path) in landed:
            continue
        unit = match_unit(path.stem, catalog.units)
        if unit is not None:  # a file naming no unit is the run's to report
            at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            add(unit, Receipt(local(at, zone), PENDING, path.name, "收件箱"))

    now_local = local(now, zone)
    states = []
    for unit in catalog.reporting_units():
        if not (catalog.indicators_for(unit.code) or catalog.milestones_for(unit.code)):
            continue
        if unit.code not in receipts:
            states.append(UnitState(unit, MISSING, now_local > window.deadline, None, None, 0))
            continue
        latest = max(receipts[unit.code], key=lambda r: r.at)
        first = firsts[unit.code]
        states.append(
            UnitState(unit, latest.state, first > window.deadline, latest, first, counts[unit.code])
        )
    return states
