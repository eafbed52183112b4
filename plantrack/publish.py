"""Publishing a run: its briefs and fix-it workbooks into the quarter's outbox, then mail.

The outbox (``$PLANTRACK_HOME/outbox/<quarter>/``) always gets a copy of what
the run produced for people, whether or not mail is configured, so that a
clerk can pick the files up by hand. When SMTP is configured the files are
also mailed: the city brief to the bureau's leadership, each unit's brief to
that unit, each fix-it workbook to that unit's stewards.

The run says what it produced in ``RunSummary.outputs`` (kind → paths). The
kinds read here:

- ``briefs``: the city brief (PDF; its HTML twin is copied but not mailed);
- ``unit_briefs``: one brief per unit;
- ``fixit``: one fix-it workbook per unit that has problems.

A unit's file is recognised by the unit's code or name in its file name
(``2021Q2_huancui_环翠区_科技工作要点落实情况简报.pdf``, ``fixit/huancui.xlsx``); a
file that names no unit, or more than one, is copied but never mailed, so that
no unit receives another's data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from plantrack.catalog import Catalog
from plantrack.mail import Delivery, Mail, send_all
from plantrack.periods import Quarter
from plantrack.reader import match_unit
from plantrack.settings import Smtp

CITY_BRIEFS, UNIT_BRIEFS, FIXIT = "briefs", "unit_briefs", "fixit"
PUBLISHED_KINDS = (CITY_BRIEFS, UNIT_BRIEFS, FIXIT)
MAILED_SUFFIXES = {CITY_BRIEFS: (".pdf",), UNIT_BRIEFS: (".pdf",), FIXIT: (".xlsx", ".xls")}
FOOTER = "\n\n此邮件由 plantrack 自动发送，请勿直接回复。\n{issuer}"


@dataclass(frozen=True)
class Publication:
    """One output file as it landed in the outbox."""

    kind: str  # briefs | unit_briefs | fixit
    unit: str | None  # None for the city brief, or when no single unit is named
    source: Path
    outbox_path: Path

    @property
    def mailable(self) -> bool:
        return self.outbox_path.suffix.lower() in MAILED_SUFFIXES[self.kind]


@dataclass
class PublishResult:
    outbox: Path
    publications: list[Publication] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    not_mailed: list[str] = field(default_factory=list)  # Chinese: what was not mailed and why
    mail_enabled: bool = False

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.ok]

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]

    def to_dict(self) -> dict:
        return {
            "outbox": str(self.outbox),
            "files": [str(p.outbox_path) for p in self.publications],
            "mail_enabled": self.mail_enabled,
            "sent": [d.to_dict() for d in self.sent],
            "failed": [d.to_dict() for d in self.failed],
            "not_mailed": self.not_mailed,
        }


def publish(
    summary_outputs: dict[str, list[str]],
    out_dir: Path,
    outbox_dir: Path,
    catalog: Catalog,
    smtp: Smtp,
    quarter: Quarter,
    send_log: Path | None = None,
) -> PublishResult:
    """Copy the run's briefs and fix-it workbooks into the outbox; mail them when configured."""
    return mail_outbox(
        to_outbox(summary_outputs, out_dir, outbox_dir, catalog, smtp), catalog, smtp, quarter, send_log
    )


def to_outbox(
    summary_outputs: dict[str, list[str]], out_dir: Path, outbox_dir: Path, catalog: Catalog, smtp: Smtp
) -> PublishResult:
    """The outbox copies alone (the run does this while it holds the warehouse)."""
    publications = [
        copy_to_outbox(kind, Path(p), out_dir, outbox_dir, catalog)
        for kind in PUBLISHED_KINDS
        for p in summary_outputs.get(kind, [])
    ]
    return PublishResult(outbox_dir, publications, mail_enabled=smtp.enabled)


def mail_outbox(
    result: PublishResult, catalog: Catalog, smtp: Smtp, quarter: Quarter, send_log: Path | None = None
) -> PublishResult:
    """Mail the outbox copies when SMTP is configured; with a ``send_log``, a message whose
    recipient already got exactly these attachments is not sent again (a quarter run again
    mails only what changed)."""
    if not smtp.enabled:
        return result
    mails, result.not_mailed = mails_for(result.publications, catalog, smtp, quarter)
    if send_log is not None:
        log = SendLog(send_log)
        mails, unchanged = log.unsent(mails)
        result.not_mailed += unchanged
        result.deliveries = send_all(smtp, mails)
        log.record(mails, result.deliveries)
    else:
        result.deliveries = send_all(smtp, mails)
    return result


class SendLog:
    """What was mailed to whom: one JSON line per delivered message and recipient, keyed by
    the recipient and the sha256 of the attachments' bytes (``$PLANTRACK_HOME/mail/sent.jsonl``)."""

    def __init__(self, path: Path):
        self.path = path

    @staticmethod
    def key(recipient: str, mail: Mail) -> str:
        digest = hashlib.sha256()
        for attachment in mail.attachments:
            digest.update(hashlib.sha256(attachment.read_bytes()).digest())
        return f"{recipient.lower()} {digest.hexdigest()}"

    def _sent(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        sent = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                sent[entry["key"]] = entry["sent_at"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: that message is sent again
        return sent

    def unsent(self, mails: list[Mail]) -> tuple[list[Mail], list[str]]:
        """The mails with only the recipients who have not had these attachments, and a
        Chinese note for each recipient left out."""
        sent = self._sent()
        todo, notes = [], []
        for mail in mails:
            fresh = tuple(r for r in mail.to if self.key(r, mail) not in sent)
            for r in mail.to:
                if r not in fresh:
                    notes.append(
                        f"{mail.subject} 未重发给 {r}：附件与 {sent[self.key(r, mail)]} 已发送的完全相同"
                    )
            if fresh:
                todo.append(dataclasses.replace(mail, to=fresh))
        return todo, notes

    def record(self, mails: list[Mail], deliveries: list[Delivery]) -> None:
        ok = {(d.recipient, d.subject) for d in deliveries if d.ok}
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        lines = [
            json.dumps(
                {"key": self.key(r, m), "recipient": r, "subject": m.subject, "sent_at": now},
                ensure_ascii=False,
            )
            for m in mails
            for r in m.to
            if (r, m.subject) in ok
        ]
        if lines:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")


def copy_to_outbox(kind: str, source: Path, out_dir: Path, outbox_dir: Path, catalog: Catalog) -> Publication:
    """Copy one file, keeping its place below ``out_dir``; readers never see half a file."""
    try:
        relative = source.resolve().relative_to(out_dir.resolve())
    except ValueError:
        relative = Path(source.name)
    target = outbox_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(source, partial)
    partial.replace(target)
    unit = None if kind == CITY_BRIEFS else match_unit(source.stem, catalog.units)
    return Publication(kind, unit, source, target)


def mails_for(
    publications: list[Publication], catalog: Catalog, smtp: Smtp, quarter: Quarter
) -> tuple[list[Mail], list[str]]:
    """The messages to send, and a Chinese note for each file that cannot be mailed."""
    mails: list[Mail] = []
    not_mailed: list[str] = []
    city = tuple(p.outbox_path for p in publications if p.kind == CITY_BRIEFS and p.mailable)
    if city and smtp.leadership:
        mails.append(city_mail(city, catalog, smtp.leadership, quarter))
    elif city:
        not_mailed.append(f"{catalog.whole}简报未发送：未配置局领导收件人（[smtp] leadership）")
    for p in publications:
        if p.kind == CITY_BRIEFS or not p.mailable:
            continue
        recipients = smtp.unit_recipients.get(p.unit or "", ())
        if p.unit is None:
            not_mailed.append(f"{p.outbox_path.name} 未发送：无法从文件名确定所属单位")
        elif not recipients:
            not_mailed.append(
                f"{p.outbox_path.name} 未发送：未配置{catalog.units[p.unit].name}"
                f"的收件人（[smtp.units] {p.unit}）"
            )
        else:
            mails.append(unit_mail(p, catalog, recipients, quarter))
    return mails, not_mailed


def city_mail(
    briefs: tuple[Path, ...], catalog: Catalog, leadership: tuple[str, ...], quarter: Quarter
) -> Mail:
    body = (
        f"各位领导：\n\n附件为《{catalog.title}》{quarter.label}落实情况简报，请审阅。"
        "简报前两页列出滞后于序时进度的事项、差距及责任单位。" + FOOTER.format(issuer=catalog.issuer)
    )
    return Mail(leadership, f"【工作要点落实情况】{quarter.label}{catalog.whole}简报", body, briefs)


def unit_mail(p: Publication, catalog: Catalog, recipients: tuple[str, ...], quarter: Quarter) -> Mail:
    unit = catalog.units[p.unit]
    if p.kind == UNIT_BRIEFS:
        subject = f"【工作要点落实情况】{quarter.label}{unit.name}简报"
        body = f"{unit.office}：\n\n附件为贵单位{quarter.label}《{catalog.title}》落实情况简报，请查阅。"
        names: tuple[str, ...] = ()
    else:
        subject = f"【请更正后重新报送】{unit.name}{quarter.label}填报表问题清单"
        body = (
            f"{unit.office}：\n\n贵单位报送的{quarter.label}填报表经校验发现问题。"
            "附件是标注了问题的工作簿：红色单元格为错误，黄色为警告，批注写明了问题和修改方法，"
            "“问题清单”工作表列出全部问题。请按说明修改后重新报送。"
        )
        # the steward sees whose workbook it is, not the unit's code (fixit/huancui.xlsx)
        names = (f"{unit.name}_{quarter.label}填报表_问题标注{p.outbox_path.suffix}",)
    return Mail(recipients, subject, body + FOOTER.format(issuer=catalog.issuer), (p.outbox_path,), names)
