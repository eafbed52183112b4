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

import shutil
from dataclasses import dataclass, field
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


def publish(summary_outputs: dict[str, list[str]], out_dir: Path, outbox_dir: Path,
            catalog: Catalog, smtp: Smtp, quarter: Quarter) -> PublishResult:
    """Copy the run's briefs and fix-it workbooks into the outbox; mail them when configured."""
    publications = [copy_to_outbox(kind, Path(p), out_dir, outbox_dir, catalog)
                    for kind in PUBLISHED_KINDS for p in summary_outputs.get(kind, [])]
    result = PublishResult(outbox_dir, publications, mail_enabled=smtp.enabled)
    if not smtp.enabled:
        return result
    mails, result.not_mailed = mails_for(publications, catalog, smtp, quarter)
    result.deliveries = send_all(smtp, mails)
    return result


def copy_to_outbox(kind: str, source: Path, out_dir: Path, outbox_dir: Path,
                   catalog: Catalog) -> Publication:
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


def mails_for(publications: list[Publication], catalog: Catalog, smtp: Smtp,
              quarter: Quarter) -> tuple[list[Mail], list[str]]:
    """The messages to send, and a Chinese note for each file that cannot be mailed."""
    mails: list[Mail] = []
    not_mailed: list[str] = []
    city = tuple(p.outbox_path for p in publications if p.kind == CITY_BRIEFS and p.mailable)
    if city and smtp.leadership:
        mails.append(city_mail(city, catalog, smtp.leadership, quarter))
    elif city:
        not_mailed.append("全市简报未发送：未配置局领导收件人（[smtp] leadership）")
    for p in publications:
        if p.kind == CITY_BRIEFS or not p.mailable:
            continue
        recipients = smtp.unit_recipients.get(p.unit or "", ())
        if p.unit is None:
            not_mailed.append(f"{p.outbox_path.name} 未发送：无法从文件名确定所属单位")
        elif not recipients:
            not_mailed.append(f"{p.outbox_path.name} 未发送：未配置{catalog.units[p.unit].name}"
                              f"的收件人（[smtp.units] {p.unit}）")
        else:
            mails.append(unit_mail(p, catalog, recipients, quarter))
    return mails, not_mailed


def city_mail(briefs: tuple[Path, ...], catalog: Catalog, leadership: tuple[str, ...],
              quarter: Quarter) -> Mail:
    body = (f"各位领导：\n\n附件为《{catalog.title}》{quarter.label}落实情况简报，请审阅。"
            "简报前两页列出滞后于序时进度的事项、差距及责任单位。"
            + FOOTER.format(issuer=catalog.issuer))
    return Mail(leadership, f"【工作要点落实情况】{quarter.label}全市简报", body, briefs)


def unit_mail(p: Publication, catalog: Catalog, recipients: tuple[str, ...],
              quarter: Quarter) -> Mail:
    unit = catalog.units[p.unit]
    if p.kind == UNIT_BRIEFS:
        subject = f"【工作要点落实情况】{quarter.label}{unit.name}简报"
        body = (f"{unit.office}：\n\n附件为贵单位{quarter.label}《{catalog.title}》"
                "落实情况简报，请查阅。")
        names: tuple[str, ...] = ()
    else:
        subject = f"【请更正后重新报送】{unit.name}{quarter.label}填报表问题清单"
        body = (f"{unit.office}：\n\n贵单位报送的{quarter.label}填报表经校验发现问题。"
                "附件是标注了问题的工作簿：红色单元格为错误，黄色为警告，批注写明了问题和修改方法，"
                "“问题清单”工作表列出全部问题。请按说明修改后重新报送。")
        # the steward sees whose workbook it is, not the unit's code (fixit/huancui.xlsx)
        names = (f"{unit.name}_{quarter.label}填报表_问题标注{p.outbox_path.suffix}",)
    return Mail(recipients, subject, body + FOOTER.format(issuer=catalog.issuer), (p.outbox_path,),
                names)
