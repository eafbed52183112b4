"""The quarterly run: ingest, validate, load, transform, render, publish.

This flow is a table of contents (ingest → load_and_transform → render → quality →
deliver → finish): each step calls a plain function from ``plantrack.pipeline``
and returns what it made; the run's summary is assembled from those results
(``plantrack.summary`` writes its message and markdown). Files are ingested in
batches (per-task overhead stays small at 1,000 files), each batch cached by the
content of its files and ``plantrack.ingest_cache.ingest_fingerprint``, so a
second run of the same quarter redoes only the batches whose files changed.
One writer at a time holds the warehouse; the load is one transaction.

The flow decides its own final state: Completed when all went well; Completed
with a message naming the rejected units when some files were rejected
(normal business); Failed when the run itself could not finish, or when a brief
could not be rendered (every other brief is rendered and published, and the
summary says which one failed and why).
"""

from __future__ import annotations

import dataclasses
import gc
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote, unmapped

from plantrack import ingest_workers, live, pipeline
from plantrack.catalog import Catalog, CatalogError
from plantrack.inbox import Ignored, display_name, scan_inbox
from plantrack.ingest_cache import (
    batch_key,
    ingest_batches,
    ingest_fingerprint,
    ingest_threads,
    with_file_cache,
)
from plantrack.periods import Quarter, resolve_quarter
from plantrack.plans import PlanError, ready_plan
from plantrack.publish import PublishResult, mail_outbox, to_outbox
from plantrack.settings import Settings, load_settings
from plantrack.summary import run_markdown
from warehouse.db import connect
from warehouse.lock import WarehouseBusy, writer_lock

# The stages after ingest take every file's verdict. Prefect would walk those arguments
# looking for futures and hash them for its default cache policy — about 10 s per task
# at 1,000 files — so they are passed quote()d and those tasks are not cached (NO_CACHE):
# their inputs change every run anyway. The catalog is quote()d for every task too: a
# walk through its indicators, units and allocations takes 0.08 s, two or three times a
# task (inputs collected, then resolved), so 40 ingest batches spent ~8 s on it.


def lock_wait_seconds(settings: Settings) -> float:
    """How long a second run waits for the first to release the warehouse (settings)."""
    return settings.lock_wait_seconds


def _batch_cache_key(context, parameters) -> str:
    """The batch's file contents plus everything else its outcomes depend on
    (``plantrack.ingest_cache.batch_key``)."""
    return batch_key(parameters["fingerprint"], parameters["settings"].archive, parameters["paths"])


def _ingest_run_name() -> str:
    """ingest-<first file>+<batch size>, the name as storable text (a GBK name decoded)."""
    from prefect.runtime import task_run

    params = task_run.parameters
    return f"ingest-{display_name(Path(params['paths'][0]).name)}+{params['batch_size']}"


@task(
    retries=2,
    retry_delay_seconds=2,
    cache_key_fn=_batch_cache_key,
    persist_result=True,
    result_serializer="pickle",
    # Prefect's result store would also keep each batch's outcomes in an in-memory cache
    # that outlives the flow run (about 270 MB at 1,000 files, until a timer of Prefect's
    # event loop lets it go): the flow holds them while it needs them, a later run reads a
    # cached batch from its persisted result.
    cache_result_in_memory=False,
    task_run_name=_ingest_run_name,
)
def ingest(
    paths: list[Path],
    batch_size: int,
    catalog: Catalog,
    quarter: Quarter,
    settings: Settings,
    fingerprint: str,
    suites_dir: Path,
    workers: int = 0,
) -> list[pipeline.FileOutcome]:
    """One batch read, archived and validated: here, or in a worker process (``workers``);
    its files whose outcomes are kept on their own (a batch's boundaries moved, or one of
    its files changed) are taken from those (``with_file_cache``)."""
    return with_file_cache(
        paths,
        fingerprint,
        settings.archive,
        lambda todo: ingest_workers.ingest_batch(
            todo, catalog, quarter, settings.archive, suites_dir, workers
        ),
    )


@task(retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load_and_transform(
    run_id: str,
    quarter: Quarter,
    catalog: Catalog,
    outcomes: list[pipeline.FileOutcome],
    settings: Settings,
    trust_mtimes: bool = False,
) -> list[pipeline.FileOutcome]:
    with connect(settings.warehouse_path) as con:
        return pipeline.load(con, run_id, quarter, catalog, outcomes, settings, trust_mtimes)


@task(cache_policy=NO_CACHE)
def render(
    quarter: Quarter, catalog: Catalog, out_dir: Path, settings: Settings
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The briefs made (kind → paths), and scope → why for any that could not be."""
    with connect(settings.warehouse_path, read_only=True) as con:
        briefs, failed = pipeline.render_briefs(
            con, catalog, quarter, out_dir, catalog.issuer, settings.font_cache
        )
    return {kind: [str(p) for p in paths] for kind, paths in briefs.items()}, failed


@task(cache_policy=NO_CACHE)
def quality(
    run_id: str,
    outcomes: list[pipeline.FileOutcome],
    quarter: Quarter,
    catalog: Catalog,
    out_dir: Path,
    settings: Settings,
    suites_dir: Path,
    ignored: list[Ignored],
) -> dict[str, list[str]]:
    with connect(settings.warehouse_path) as con:
        return pipeline.write_quality_outputs(
            con, catalog, quarter, run_id, outcomes, out_dir, suites_dir, ignored
        )


@task(cache_policy=NO_CACHE)
def outbox(
    summary: pipeline.RunSummary, quarter: Quarter, catalog: Catalog, out_dir: Path, settings: Settings
) -> PublishResult:
    """Briefs and fix-it workbooks to the quarter's outbox."""
    return to_outbox(
        summary.outputs, out_dir, settings.home / "outbox" / quarter.code, catalog, settings.smtp
    )


@task(cache_policy=NO_CACHE)
def deliver(copied: PublishResult, quarter: Quarter, catalog: Catalog, settings: Settings) -> PublishResult:
    """Mail what changed since it was last mailed (never retried: no resends); run without
    the warehouse lock, so a hanging mail server never holds up the next run."""
    return mail_outbox(copied, catalog, settings.smtp, quarter, settings.home / "mail" / "sent.jsonl")


@task(cache_policy=NO_CACHE)
def finish(
    summary: pipeline.RunSummary,
    catalog: Catalog,
    out_dir: Path,
    settings: Settings,
    delivered: PublishResult,
) -> tuple[pipeline.RunSummary, str]:
    """Record the run's outcome in the warehouse, the run summary file and a Prefect artifact."""
    with connect(settings.warehouse_path) as con:
        summary, message = pipeline.finish(con, summary, catalog, delivered, out_dir)
    create_markdown_artifact(
        markdown=run_markdown(summary, message, delivered),
        key=f"quarterly-run-{summary.quarter.lower()}",
        description=message,
    )
    return summary, message


def gathered(futures) -> list[pipeline.FileOutcome]:
    """The ingest batches' outcomes as they finish, the progress shown advancing."""
    outcomes = []
    for future in futures:
        batch = future.result()
        outcomes += batch
        live.advance(len(batch))
    return outcomes


@flow(
    name="plantrack-quarterly",
    log_prints=True,
    task_runner=ThreadPoolTaskRunner(max_workers=ingest_threads()),
)
def quarterly_run(
    quarter: str = "", inbox: str | None = None, out: str | None = None, trust_mtimes: bool = False
):
    """``quarter`` empty: the quarter that has just ended (scheduled runs pass "").
    ``trust_mtimes``: receipt times from the files' mtimes (the demo's inbox only; a real
    inbox's receipt time is when plantrack first saw each file)."""
    settings = load_settings()
    q = resolve_quarter(quarter, datetime.now(UTC), settings.schedule.timezone)
    inbox_dir = settings.run_inbox(q.code, inbox)
    out_dir = Path(out).resolve() if out else settings.quarter_out(q.code)
    logger = get_run_logger()
    try:  # the quarter's year picks its plan, which must pass `plan check`
        plan = ready_plan(settings, q.year)
        catalog = plan.catalog
    except (PlanError, CatalogError) as exc:  # nothing read, moved or loaded: the inbox waits
        logger.error("%s: no ready plan for %s; loaded nothing", q.code, q.year)
        return Failed(message=str(exc))
    run_id = None
    try:
        with writer_lock(settings.warehouse_path, wait_seconds=lock_wait_seconds(settings)):
            scan = scan_inbox(inbox_dir)  # links never followed; what is left out, listed
            files = scan.files
            for entry in scan.ignored:
                logger.warning("%s: %s", entry.name, entry.reason)
            groups = ingest_batches(files, catalog)
            logger.info("%s: %d files in %s, %d batches", q.code, len(files), inbox_dir, len(groups))
            fingerprint = ingest_fingerprint(settings, q)
            live.stage("收取与校验（文件）", total=len(files))
            workers = ingest_workers.count(len(files))  # 0: on this process's threads
            futures = ingest.map(
                groups,
                batch_size=[len(g) for g in groups],
                catalog=quote(catalog),
                quarter=q,
                settings=settings,
                fingerprint=fingerprint,
                suites_dir=unmapped(plan.suites_dir),
                workers=workers,
            )
            try:
                outcomes_read = gathered(futures)
            finally:
                ingest_workers.stop()
            position = {p: n for n, p in enumerate(files)}  # back in the inbox's order
            outcomes_read.sort(key=lambda o: position[o.received.path])
            read, duplicates = pipeline.distinct_contents(outcomes_read)
            scan = dataclasses.replace(scan, ignored=scan.ignored + duplicates)

            run_id = pipeline.new_run_id(q)
            live.stage("入库与计算进度")
            outcomes = load_and_transform(run_id, q, quote(catalog), quote(read), settings, trust_mtimes)
            # The verdicts as read are in the warehouse now: let them go before the briefs
            # (the outcomes loaded keep what the rest of the run reads: FileOutcome.after_load).
            del futures, outcomes_read, read
            # Prefect's futures hold their results in reference cycles, which only a full
            # collection frees: 0.46 s at 1,000 files, for ~90 MB less during the briefs.
            gc.collect()
            live.stage("生成简报")
            briefs, briefs_failed = render(q, quote(catalog), out_dir, settings)
            live.stage("修改提示表与数据质量页")
            checked = quality(
                run_id, quote(outcomes), q, quote(catalog), out_dir, settings, plan.suites_dir, scan.ignored
            )
            summary = pipeline.RunSummary(
                run_id,
                q.code,
                outcomes,
                {**briefs, **checked},
                ignored=scan.ignored,
                briefs_failed=briefs_failed,
            )
            live.stage("发布")
            copied = outbox(quote(summary), q, quote(catalog), out_dir, settings)
        delivered = deliver(copied, q, quote(catalog), settings)
        summary = dataclasses.replace(
            summary.with_outputs(**pipeline.published(delivered)), mail=delivered.to_dict()
        )
        with writer_lock(settings.warehouse_path, wait_seconds=lock_wait_seconds(settings)):
            summary, message = finish(quote(summary), quote(catalog), out_dir, settings, delivered)
            live.stage_done()
    except WarehouseBusy as exc:
        return Failed(message=str(exc))
    except Exception as exc:  # after the load: the run is recorded as failed, not left running
        if run_id is not None:
            try:
                with (
                    writer_lock(settings.warehouse_path, wait_seconds=lock_wait_seconds(settings)),
                    connect(settings.warehouse_path) as con,
                ):
                    pipeline.fail_run(con, run_id, f"{type(exc).__name__}: {exc}")
            except Exception:  # the next run's load marks it failed (pipeline.fail_stale_runs)
                logger.exception("%s: could not record the run as failed", run_id)
        raise
    # The summary as plain data (RunSummary.to_dict): Prefect walks a flow's return value
    # looking for futures, which takes seconds over 1,000 files' verdicts.
    if summary.briefs_failed:  # all else loaded and published; a brief is missing
        return Failed(message=message, data=summary.to_dict())
    return Completed(message=message, data=summary.to_dict())
