"""What a quarterly run says about itself: the one-line message of its final state and the
markdown of its run summary (a Prefect artifact), for operators, in English.

Plain functions of the run's summary (``pipeline.RunSummary``) and of what was
delivered (``publish.PublishResult``); ``pipeline.finish`` records the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plantrack.catalog import Catalog
from plantrack.publish import PublishResult

if TYPE_CHECKING:  # pipeline imports this module
    from plantrack.pipeline import FileOutcome, RunSummary

COMPLETED, COMPLETED_WITH_REJECTIONS = "completed", "completed_with_rejections"
BRIEFS_FAILED = "briefs_failed"  # loaded and published, but some brief could not be made


def run_state(summary: RunSummary) -> str:
    """The run's state as recorded in ``runs``: rejected files are normal business; a brief
    that could not be rendered is not (the flow ends Failed, the others published)."""
    if summary.briefs_failed:
        return BRIEFS_FAILED
    return COMPLETED_WITH_REJECTIONS if summary.rejected_files else COMPLETED


def units_without_submission(catalog: Catalog, outcomes: list[FileOutcome]) -> list[str]:
    """Units with indicators to report that sent nothing this run, in configured order."""
    sent = {o.unit for o in outcomes if o.unit}
    return [
        u.code for u in catalog.reporting_units() if catalog.indicators_for(u.code) and u.code not in sent
    ]


def rejection_message(summary: RunSummary, catalog: Catalog) -> str:
    """One line for the run's final state: accepted, rejected (by unit), not yet submitted."""
    rejected = summary.rejected_files
    parts = [
        f"{summary.quarter}: {len(summary.files) - len(rejected)} of {len(summary.files)} files accepted"
    ]
    if rejected:
        names = sorted(
            {catalog.units[f.unit].name if f.unit in catalog.units else f.received.name for f in rejected}
        )
        parts.append(f"rejected: {', '.join(names)}")
    missing = units_without_submission(catalog, summary.files)
    if missing:
        parts.append(f"not submitted: {', '.join(catalog.units[u].name for u in missing)}")
    return "; ".join(parts)


def mail_note(delivered: PublishResult) -> str:
    failed = sorted({d.recipient for d in delivered.failed})
    return f"; mail failed for {', '.join(failed)}" if failed else ""


def briefs_note(summary: RunSummary, catalog: Catalog) -> str:
    if not summary.briefs_failed:
        return ""
    names = [catalog.units[s].name if s in catalog.units else s for s in summary.briefs_failed]
    return f"; briefs not rendered: {', '.join(names)}"


def run_message(summary: RunSummary, catalog: Catalog, delivered: PublishResult) -> str:
    return rejection_message(summary, catalog) + briefs_note(summary, catalog) + mail_note(delivered)


def mail_markdown(delivered: PublishResult) -> str:
    if not delivered.mail_enabled:
        return f"\n\n## Outbox\n\n{delivered.outbox} (mail not configured)"
    lines = ["", "", "## Mail", "", f"outbox: {delivered.outbox}", "", f"- sent: {len(delivered.sent)}"]
    lines += [f"- failed: {d.recipient} ({d.subject}): {d.error}" for d in delivered.failed]
    lines += [f"- not mailed: {note}" for note in delivered.not_mailed]
    return "\n".join(lines)


def artifact_markdown(summary: RunSummary, message: str) -> str:
    d = summary.to_dict()
    lines = [
        f"# plantrack {summary.quarter}",
        "",
        message,
        "",
        "| files received | accepted | rows quarantined | errors | warnings | behind target |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {d['files_received']} | {d['files_accepted']} | {d['rows_quarantined']} "
        f"| {d['issues']['errors']} | {d['issues']['warnings']} | {len(summary.behind)} |",
        "",
    ]
    if d["files_rejected"]:
        lines += ["## Rejected files", ""]
        lines += [
            f"- {r['file']} ({r['unit'] or 'unknown unit'}): {r['reason']}" for r in d["files_rejected"]
        ]
    if summary.briefs_failed:
        lines += ["", "## Briefs not rendered", ""]
        lines += [f"- {scope}: {why}" for scope, why in summary.briefs_failed.items()]
    lines += ["", "## Outputs", ""] + [f"- {p}" for paths in summary.outputs.values() for p in paths]
    return "\n".join(lines)


def run_markdown(summary: RunSummary, message: str, delivered: PublishResult) -> str:
    """The run summary artifact: counts, rejected files, outputs, then the mail."""
    return artifact_markdown(summary, message) + mail_markdown(delivered)
