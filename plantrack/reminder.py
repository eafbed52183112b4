"""The reminder a few days before the quarterly run: who has not submitted, whose data is wrong.

For a quarter it lists, per reporting unit: no submission yet; a latest
submission that is unreadable or has errors; or a file waiting in the inbox
that no run has seen yet (counted as submitted). ``write_reminder_list`` writes
the list in Chinese to ``<out>/reminder_<date>.txt``; ``mail_reminders`` sends
each unit that must act its own e-mail. ``flows/reminder.py`` runs these two on
the reminder's schedule; nothing here reads settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from plantrack.atomic import write_text_atomically
from plantrack.catalog import Catalog, Unit
from plantrack.inbox import display_name
from plantrack.landing import sha256_file
from plantrack.mail import Delivery, Mail, send_all
from plantrack.periods import Quarter
from plantrack.pipeline import discover
from plantrack.reader import UnreadableFile, match_unit, read_submission
from plantrack.settings import Smtp
from transforms.models import ensure_models
from warehouse.db import connect

MISSING, INVALID, PENDING, OK = "missing", "invalid", "pending", "ok"
PROBLEMS_SHOWN = 5  # per unit; the fix-it workbook has the full list


@dataclass(frozen=True)
class LatestSubmission:
    """The submission that counts for a unit and quarter, with its errors."""

    unit: str
    file: str
    readable: bool
    read_error: str | None
    errors: int = 0
    problems: tuple[str, ...] = ()  # Chinese, one line per error, where first


@dataclass(frozen=True)
class UnitReminder:
    unit: Unit
    state: str  # missing | invalid | pending | ok
    file: str = ""
    errors: int = 0
    problems: tuple[str, ...] = ()

    @property
    def must_act(self) -> bool:
        return self.state in (MISSING, INVALID)


@dataclass(frozen=True)
class ReminderResult:
    quarter: str
    path: Path
    units: list[UnitReminder]
    unidentified: list[str] = field(default_factory=list)  # inbox files naming no unit
    deliveries: list[Delivery] = field(default_factory=list)
    not_mailed: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for the flow's final state (English, for operators)."""
        text = (
            f"{self.quarter}: {self.count(MISSING)} units not submitted, "
            f"{self.count(INVALID)} with errors, {self.count(PENDING)} files waiting; "
            f"list in {self.path}"
        )
        failed = [d.recipient for d in self.deliveries if not d.ok]
        return text + (f"; mail failed for {', '.join(failed)}" if failed else "")

    @property
    def mail_failed(self) -> bool:
        """Mail was sent and none of it arrived: the server may be back on a retry."""
        return bool(self.deliveries) and not any(d.ok for d in self.deliveries)

    def count(self, state: str) -> int:
        return sum(1 for u in self.units if u.state == state)


# -- what the warehouse knows ---------------------------------------------------


def latest_submissions(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dict[str, LatestSubmission]:
    """Each unit's latest receipt for ``quarter``, whatever its verdict, and its errors.

    The model is ``int_latest_receipts``, not ``int_latest_submissions``: that one
    keeps the latest *valid* receipt for the figures, while a steward must hear
    about the file they sent last, even when it could not be read. A file's
    verdict depends only on its content and the rules in force, so its issues come
    from the latest run that judged it (``int_latest_issues``).
    """
    latest = con.execute(
        "select unit, submission_id, source_path, readable, read_error "
        "from int_latest_receipts where quarter = ?",
        [quarter.code],
    ).fetchall()
    problems = _error_lines(con, [row[1] for row in latest])
    return {
        unit: LatestSubmission(
            unit,
            Path(source).name,
            readable,
            read_error,
            len(problems.get(sid, [])),
            tuple(problems.get(sid, [])[:PROBLEMS_SHOWN]),
        )
        for unit, sid, source, readable, read_error in latest
    }


def _error_lines(con: duckdb.DuckDBPyConnection, submission_ids: list[str]) -> dict[str, list[str]]:
    if not submission_ids:
        return {}
    rows = con.execute(
        """
        select submission_id, sheet, cell, message, hint from int_latest_issues
        where severity = 'error' and list_contains(?::varchar[], submission_id)
        order by submission_id, sheet nulls first, length(cell), cell, message
        """,
        [submission_ids],
    ).fetchall()
    lines: dict[str, list[str]] = {}
    for sid, sheet, cell, message, hint in rows:
        where = (f"“{sheet}”工作表" if sheet else "") + (f"{cell}单元格" if cell else "")
        line = f"{where}：{message}" if where else message
        lines.setdefault(sid, []).append(line + (f" 修改方法：{hint}" if hint else ""))
    return lines


def landed_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select file_hash from stg_submissions").fetchall()}


def read_warehouse(path: Path, quarter: Quarter) -> tuple[dict[str, LatestSubmission], set[str]]:
    """What the warehouse says, read only; nothing when no run has built it yet."""
    if not path.exists():
        return {}, set()
    con = connect(path, read_only=True)
    try:
        ensure_models(con)  # stored models may predate this code, or no load has built them
        return latest_submissions(con, quarter), landed_hashes(con)
    finally:
        con.close()


# -- what waits in the inbox ----------------------------------------------------


def pending_files(inbox: Path, landed: set[str], units: dict[str, Unit]) -> list[tuple[Path, str | None]]:
    """Inbox files no run has landed yet, each with the unit it comes from (None: unknown)."""
    pending = []
    for path in discover(inbox):
        if sha256_file(path) in landed:
            continue
        try:
            unit = read_submission(path, units).identity.unit
        except UnreadableFile:
            unit = match_unit(path.stem, units)  # the run will report why it is unreadable
        pending.append((path, unit))
    return pending


# -- who must act ---------------------------------------------------------------


def unit_reminders(
    units: list[Unit], latest: dict[str, LatestSubmission], pending: list[tuple[Path, str | None]]
) -> list[UnitReminder]:
    """One line per reporting unit; a newer file in the inbox counts as submitted."""
    waiting = {unit: path for path, unit in pending if unit}
    result = []
    for unit in units:
        sub = latest.get(unit.code)
        if unit.code in waiting:
            result.append(UnitReminder(unit, PENDING, display_name(waiting[unit.code].name)))
        elif sub is None:
            result.append(UnitReminder(unit, MISSING))
        elif not sub.readable:
            reason = sub.read_error or "文件无法读取"
            result.append(UnitReminder(unit, INVALID, sub.file, 1, (reason,)))
        elif sub.errors:
            result.append(UnitReminder(unit, INVALID, sub.file, sub.errors, sub.problems))
        else:
            result.append(UnitReminder(unit, OK, sub.file))
    return result


def reminder_text(
    catalog: Catalog,
    quarter: Quarter,
    reminders: list[UnitReminder],
    unidentified: list[str],
    deadline: datetime,
    written: datetime,
) -> str:
    missing = [r for r in reminders if r.state == MISSING]
    invalid = [r for r in reminders if r.state == INVALID]
    pending = [r for r in reminders if r.state == PENDING]
    ok = [r for r in reminders if r.state == OK]
    lines = [
        f"{catalog.issuer}",
        f"《{catalog.title}》{quarter.label}填报提醒",
        "",
        f"生成时间：{_when(written)}",
        f"季度流程将于 {_when(deadline)} 自动运行，请在此之前报送或更正。",
        "",
    ]
    lines += [f"一、尚未报送（{len(missing)}个单位）"]
    lines += [f"  {n}. {r.unit.name}（{r.unit.office}）" for n, r in enumerate(missing, 1)] or ["  无"]
    lines += ["", f"二、已报送但数据有误，需更正后重新报送（{len(invalid)}个单位）"]
    for n, r in enumerate(invalid, 1):
        lines.append(f"  {n}. {r.unit.name}（{r.unit.office}）：文件“{r.file}”，{r.errors}处错误")
        lines += [f"     - {p}" for p in r.problems]
        if r.errors > len(r.problems):
            lines.append(f"     - ……其余{r.errors - len(r.problems)}处见问题标注工作簿")
    if not invalid:
        lines.append("  无")
    lines += ["", f"三、已收到、待季度流程处理的文件（{len(pending) + len(unidentified)}个）"]
    lines += [f"  - {r.file}（{r.unit.name}）" for r in pending]
    lines += [f"  - {name}（无法识别填报单位，请核实）" for name in unidentified]
    if not pending and not unidentified:
        lines.append("  无")
    lines += [
        "",
        f"四、已报送且未发现错误：{len(ok)}个单位"
        + (f"（{'、'.join(r.unit.name for r in ok)}）" if ok else ""),
    ]
    return "\n".join(lines) + "\n"


def reminder_mails(
    catalog: Catalog, quarter: Quarter, reminders: list[UnitReminder], smtp: Smtp, deadline: datetime
) -> tuple[list[Mail], list[str]]:
    """One message per unit that must act; a Chinese note for each unit with no address."""
    mails, not_mailed = [], []
    by = _when(deadline)
    for r in (r for r in reminders if r.must_act):
        recipients = smtp.unit_recipients.get(r.unit.code, ())
        if not recipients:
            not_mailed.append(f"{r.unit.name}未发送提醒：未配置收件人（[smtp.units] {r.unit.code}）")
            continue
        if r.state == MISSING:
            subject = f"【报送提醒】请于{by}前报送{quarter.label}填报表"
            what = f"截至目前尚未收到贵单位{quarter.label}《{catalog.title}》填报表，请于{by}前报送。"
        else:
            subject = f"【报送提醒】{r.unit.name}{quarter.label}填报表有误，请于{by}前更正"
            what = (
                f"贵单位报送的{quarter.label}填报表“{r.file}”经校验有{r.errors}处错误，"
                f"请于{by}前更正后重新报送：\n" + "\n".join(f"- {p}" for p in r.problems)
            )
        body = f"{r.unit.office}：\n\n{what}\n\n此邮件由 plantrack 自动发送，请勿直接回复。\n{catalog.issuer}"
        mails.append(Mail(recipients, subject, body))
    return mails, not_mailed


def write_reminder(out_dir: Path, text: str, day: date) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"reminder_{day.isoformat()}.txt"
    return write_text_atomically(path, text)


def _when(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def write_reminder_list(
    catalog: Catalog,
    quarter: Quarter,
    warehouse: Path,
    inbox: Path,
    out_dir: Path,
    deadline: datetime,
    now: datetime,
) -> ReminderResult:
    """Who must act for ``quarter`` (the warehouse, then the inbox), written to ``out_dir``.

    ``deadline``: when the quarterly run starts; ``now``: when the list is written.
    """
    latest, landed = read_warehouse(warehouse, quarter)
    pending = pending_files(inbox, landed, catalog.units)
    reminders = unit_reminders(catalog.reporting_units(), latest, pending)
    unidentified = [display_name(path.name) for path, unit in pending if unit is None]
    text = reminder_text(catalog, quarter, reminders, unidentified, deadline, now)
    path = write_reminder(out_dir, text, now.date())
    return ReminderResult(quarter.code, path, reminders, unidentified)


def mail_reminders(
    result: ReminderResult, catalog: Catalog, quarter: Quarter, smtp: Smtp, deadline: datetime
) -> ReminderResult:
    """The list's result with the mail sent to each unit that must act, and who got none."""
    mails, not_mailed = reminder_mails(catalog, quarter, result.units, smtp, deadline)
    return dataclasses.replace(result, deliveries=send_all(smtp, mails), not_mailed=not_mailed)
