"""Many briefs at once: a job per brief, rendered in a pool of worker processes.

WeasyPrint is CPU-bound, so the city's and every unit's brief are rendered on
every core; a brief whose HTML did not change since its last clean render is
kept as it is.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import duckdb

from plantrack import progress
from plantrack.catalog import Catalog
from plantrack.fonts import FontFile, prepared_fonts
from plantrack.periods import Quarter
from plantrack.processes import available_cores, forkserver_context
from plantrack.report.briefs import Brief, city_brief, unit_brief
from plantrack.report.formatting import report_date
from plantrack.report.render import render_brief, render_html, rendered_from, warm_up
from transforms.models import snapshot_marts

log = logging.getLogger("plantrack")


@dataclass(frozen=True)
class RenderJob:
    scope: str  # city or a unit code
    brief: Brief
    target: Path
    created: date


@dataclass(frozen=True)
class Rendered:
    scope: str
    path: Path
    seconds: float  # wall time in the worker
    cpu_seconds: float  # CPU time the worker spent on it


def is_current(job: RenderJob, fonts: list[FontFile]) -> bool:
    """True when ``job.target`` was rendered cleanly from exactly the HTML this job makes now.

    Lets a run again skip the briefs whose figures did not change: the HTML holds every
    figure, the template and the font faces, and a brief's bytes depend on nothing else.
    """
    return rendered_from(job.target, render_html(job.brief, fonts, job.created))


def _render_job(job: RenderJob, fonts: list[FontFile]) -> Rendered:
    wall, cpu = time.perf_counter(), time.process_time()
    path = render_brief(job.brief, job.target, fonts[0].path.parent, job.created, fonts=fonts)
    return Rendered(job.scope, path, time.perf_counter() - wall, time.process_time() - cpu)


@contextmanager
def _render_pool(workers: int, fonts: list[FontFile]) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes, each warming up (fonts, Pango) as soon as it starts; None when
    there is only one core, or only one brief, to render."""
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=forkserver_context()) as pool:
        for _ in range(workers):
            pool.submit(warm_up, fonts)
        yield pool


class BriefsFailed(Exception):
    """Some briefs could not be rendered; every other one was. ``rendered``: scope → PDF of
    those made; ``failed``: scope → why (the type and text of the error)."""

    def __init__(self, rendered: dict[str, Path], failed: dict[str, str]):
        super().__init__("; ".join(f"{scope}: {why}" for scope, why in failed.items()))
        self.rendered, self.failed = rendered, failed


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _run(
    jobs: list[RenderJob], fonts: list[FontFile], pool: ProcessPoolExecutor | None
) -> tuple[list[Rendered], dict[str, str]]:
    """Every job rendered, one failing never stopping the others: (rendered, scope → why)."""
    if pool is None or len(jobs) <= 1:
        calls = [(job, partial(_render_job, job, fonts)) for job in jobs]  # here, one by one
    else:
        calls = [(job, pool.submit(_render_job, job, fonts).result) for job in jobs]
    done, failed = [], {}
    for job, call in calls:
        try:
            done.append(call())
        except Exception as exc:  # the job's own error, or its worker's death (BrokenProcessPool)
            failed[job.scope] = _why(exc)
    return done, failed


def _raise_failures(jobs: list[RenderJob], failed: dict[str, str]) -> None:
    """A brief that failed leaves no PDF behind: an older one would be taken for it."""
    if not failed:
        return
    for job in jobs:
        if job.scope in failed:
            log.error("brief %s could not be rendered: %s", job.scope, failed[job.scope])
            if job.target.is_file() or job.target.is_symlink():
                job.target.unlink()
    raise BriefsFailed({j.scope: j.target for j in jobs if j.scope not in failed}, failed)


def render_jobs(jobs: Iterable[RenderJob], font_cache: Path, workers: int | None = None) -> list[Rendered]:
    """Render briefs, in parallel processes when there are several (WeasyPrint is CPU-bound)."""
    jobs = list(jobs)
    fonts = prepared_fonts(font_cache)  # built once here, before any worker needs it
    with _render_pool(min(workers or available_cores(), len(jobs)), fonts) as pool:
        done, failed = _run(jobs, fonts, pool)
    _raise_failures(jobs, failed)
    return done


def render_changed(
    jobs: list[RenderJob], fonts: list[FontFile], workers: int | None = None
) -> dict[str, Path]:
    """Render the jobs whose PDF is not current (``is_current``); scope → PDF path for all.

    Raises ``BriefsFailed`` after rendering all the others when some could not be rendered.
    """
    stale = [job for job in jobs if not is_current(job, fonts)]
    if len(stale) < len(jobs):
        log.info(
            "briefs: %d of %d unchanged since they were last rendered, kept",
            len(jobs) - len(stale),
            len(jobs),
        )
    with _render_pool(min(workers or available_cores(), len(stale)), fonts) as pool:
        _, failed = _run(stale, fonts, pool)
    _raise_failures(jobs, failed)
    return {job.scope: job.target for job in jobs}


def brief_filename(quarter: Quarter, unit: dict | None = None, catalog: Catalog | None = None) -> str:
    """The PDF's name, after the plan's brief (``Catalog.short_title``/``brief_name``)."""
    city, named = (
        (f"{catalog.short_title}落实情况简报", catalog.brief_name)
        if catalog is not None
        else ("全市工作要点落实情况简报", "工作要点落实情况简报")
    )
    if unit is None:
        return f"{quarter.code}_{city}.pdf"
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", unit["name"])
    return f"{quarter.code}_{unit['unit']}_{name}_{named}.pdf"


def unit_jobs(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    out_dir: Path,
    issuer: str,
    units: list[str] | None = None,
    unit_rows: list[dict] | None = None,
) -> list[RenderJob]:
    """A job per unit that has targets (or per unit named); ``unit_rows``: every unit's
    progress rows when the caller has them already (one query instead of one per unit)."""
    chosen = (
        [progress.resolve_unit(con, u, quarter.year) for u in units]
        if units
        else progress.units_with_targets(con, quarter.year)
    )
    by_unit: dict[str, list[dict]] = {}
    for r in unit_rows if unit_rows is not None else progress.unit_progress(con, quarter.code):
        by_unit.setdefault(r["unit"], []).append(r)
    return [
        RenderJob(
            u["unit"],
            unit_brief(con, catalog, quarter, u["unit"], issuer, rows=by_unit.get(u["unit"], [])),
            out_dir / brief_filename(quarter, u, catalog),
            report_date(quarter),
        )
        for u in chosen
    ]


def render_unit_briefs(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    out_dir: Path,
    issuer: str,
    font_cache: Path,
    units: list[str] | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """One brief per unit that has targets (or per unit named); unit code → PDF path.
    ``con`` is read from a snapshot of its marts (``transforms.models.snapshot_marts``)."""
    progress.require_quarter(con, quarter)
    snapshot_marts(con)
    fonts = prepared_fonts(font_cache)
    return render_changed(unit_jobs(con, catalog, quarter, out_dir, issuer, units), fonts, workers)


def render_quarter_briefs(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    quarter: Quarter,
    out_dir: Path,
    issuer: str,
    font_cache: Path,
    workers: int | None = None,
) -> dict[str, Path]:
    """The city brief and every unit's brief in one pool; 'city' and unit codes → PDF paths.
    ``con`` is read from a snapshot of its marts (``transforms.models.snapshot_marts``)."""
    progress.require_quarter(con, quarter)
    snapshot_marts(con)
    fonts = prepared_fonts(font_cache)
    unit_rows = progress.unit_progress(con, quarter.code)
    city = RenderJob(
        "city",
        city_brief(con, catalog, quarter, issuer, unit_rows=unit_rows),
        out_dir / brief_filename(quarter, None, catalog),
        report_date(quarter),
    )
    jobs = [city, *unit_jobs(con, catalog, quarter, out_dir, issuer, unit_rows=unit_rows)]
    if quarter.number == 4:  # the year's last run also makes the annual assessment
        jobs += assessment_jobs(con, catalog, quarter, out_dir, issuer)
    return render_changed(jobs, fonts, workers)


ASSESSMENT_SCOPE = "assessment:"  # scope prefix of an assessment job: assessment:city, …:<unit>


def assessment_filename(year: int, catalog: Catalog, unit: dict | None = None) -> str:
    """The assessment PDF's name, after the plan (``Catalog.assessment_title``/``_name``)."""
    if unit is None:
        return f"{year}_{catalog.assessment_title}.pdf"
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", unit["name"])
    return f"{year}_{unit['unit']}_{name}_{catalog.assessment_name}.pdf"


def assessment_jobs(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, quarter: Quarter, out_dir: Path, issuer: str
) -> list[RenderJob]:
    """The annual assessment of the city and of every unit with targets (a Q4 run's)."""
    from plantrack.report.assessment import city_assessment, unit_assessment

    created = report_date(quarter)
    jobs = [
        RenderJob(
            ASSESSMENT_SCOPE + "city",
            city_assessment(con, catalog, quarter, issuer),
            out_dir / assessment_filename(quarter.year, catalog),
            created,
        )
    ]
    for u in progress.units_with_targets(con):
        jobs.append(
            RenderJob(
                ASSESSMENT_SCOPE + u["unit"],
                unit_assessment(con, catalog, quarter, u["unit"], issuer),
                out_dir / assessment_filename(quarter.year, catalog, u),
                created,
            )
        )
    return jobs
