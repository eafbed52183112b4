"""The quarterly run: ingest, validate, load, transform, render, publish.

This flow is a table of contents: each step calls a plain function from
``plantrack.pipeline``. It decides its own final state: Completed when all
went well, Completed with a message naming the rejected units when some files
were rejected (normal business), Failed when the run itself could not finish.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed

from plantrack import pipeline
from plantrack.catalog import Catalog, catalog_from_settings
from plantrack.periods import Quarter, parse_quarter
from plantrack.settings import Settings, load_settings
from warehouse.db import connect


@task(retries=2, retry_delay_seconds=2, task_run_name="ingest-{path.name}")
def ingest(path: Path, catalog: Catalog, quarter: Quarter, settings: Settings) -> pipeline.FileOutcome:
    return pipeline.ingest_file(path, catalog, quarter, settings.archive, settings.suites_dir)


@task
def load_and_transform(run_id: str, quarter: Quarter, catalog: Catalog,
                       outcomes: list[pipeline.FileOutcome], settings: Settings) -> None:
    con = connect(settings.warehouse_path)
    try:
        pipeline.load(con, run_id, quarter, catalog, outcomes, settings)
    finally:
        con.close()


@task
def render(quarter: Quarter, catalog: Catalog, out_dir: Path, settings: Settings) -> list[Path]:
    con = connect(settings.warehouse_path)
    try:
        return [pipeline.render_city(con, catalog, quarter, out_dir, settings.issuer,
                                     settings.font_cache)]
    finally:
        con.close()


def _rejection_message(summary: pipeline.RunSummary, catalog: Catalog) -> str:
    rejected = summary.rejected_files
    if not rejected:
        return f"{summary.quarter}: all {len(summary.files)} files accepted"
    names = sorted({catalog.units[f.unit].name if f.unit in catalog.units else f.received.path.name
                    for f in rejected})
    return (f"{summary.quarter}: {len(summary.files) - len(rejected)} of {len(summary.files)} "
            f"files accepted; rejected: {', '.join(names)}")


def _artifact_markdown(summary: pipeline.RunSummary, message: str) -> str:
    d = summary.to_dict()
    lines = [f"# plantrack {summary.quarter}", "", message, "",
             f"- files received: {d['files_received']}",
             f"- files accepted: {d['files_accepted']}",
             f"- rows quarantined: {d['rows_quarantined']}",
             f"- indicators behind target: {len(summary.behind)}", ""]
    lines += [f"- rejected: {r['file']} ({r['unit'] or 'unknown unit'}): {r['reason']}"
              for r in d["files_rejected"]]
    lines += ["", "## Outputs"] + [f"- {p}" for paths in summary.outputs.values() for p in paths]
    return "\n".join(lines)


@flow(name="plantrack-quarterly", log_prints=True)
def quarterly_run(quarter: str, inbox: str | None = None, out: str | None = None):
    settings = load_settings()
    q = parse_quarter(quarter)
    catalog = catalog_from_settings(settings)
    inbox_dir = Path(inbox) if inbox else settings.quarter_inbox(q.code)
    out_dir = Path(out) if out else settings.quarter_out(q.code)
    logger = get_run_logger()

    files = pipeline.discover(inbox_dir)
    logger.info("%s: %d files in %s", q.code, len(files), inbox_dir)
    futures = ingest.map(files, catalog=catalog, quarter=q, settings=settings)
    outcomes = [f.result() for f in futures]  # raises if a file crashed even after retries

    summary = pipeline.RunSummary(run_id=pipeline.new_run_id(q), quarter=q.code, files=outcomes)
    load_and_transform(summary.run_id, q, catalog, outcomes, settings)
    summary.outputs["briefs"] = [str(p) for p in render(q, catalog, out_dir, settings)]

    con = connect(settings.warehouse_path)
    try:
        summary.behind = pipeline.behind_indicators(con, q)
        message = _rejection_message(summary, catalog)
        state = "completed_with_rejections" if summary.rejected_files else "completed"
        summary.outputs["summary"] = [str(pipeline.finish_run(con, summary, state, message, out_dir))]
    finally:
        con.close()
    create_markdown_artifact(markdown=_artifact_markdown(summary, message),
                             key=f"quarterly-run-{q.code.lower()}", description=message)
    return Completed(message=message, data=summary)
