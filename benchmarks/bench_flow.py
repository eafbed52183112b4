"""Quarterly flow benchmark: a full run, runs again after one file changed and after one
file added, and flow overhead.

    .venv/bin/python benchmarks/bench_flow.py [--files 1000] [--cache DIR] [--keep]

Four timings of the same N submissions, measured side by side in one process:

- the stage functions called directly, in a plain loop: ``pipeline.ingest_file``
  for every file, then ``pipeline.load`` and ``pipeline.render_briefs``;
- the quarterly flow (Prefect, embedded mode) on a fresh PLANTRACK_HOME: the full run;
- the same flow again on the same home after one file in the inbox changed;
- and again after one file was added in the middle of the inbox (a late submission),
  which moves the boundaries of every ingest batch after it.

It prints the rerun as a share of the full run (target: at most 10%), the flow's
time against the direct calls (its overhead), and each run's peak RSS (this process's
high-water mark, reset before each run; the ingest workers are processes of their
own). Libraries, the CJK font subset and Prefect's embedded server are warmed before
any timing, so each figure is the work itself.

The submissions are the demo's sample workbooks (every unit, with the demo's
typical mistakes) copied N times with seeded variations of their figures, so
every file has different content. Writing 1,000 takes about a minute; they are
cached under ``--cache`` and reused.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUARTER = "2021Q2"
TARGET_RERUN_SHARE = 0.10


def vary(path: Path, target: Path, seed: int) -> None:
    """Copy a workbook with every numeric figure of its data sheet scaled a little."""
    from openpyxl import load_workbook

    from plantrack.template import DATA_HEADER_ROW, DATA_SHEET

    rng = random.Random(seed)
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    row = DATA_HEADER_ROW + 1
    while ws.cell(row=row, column=1).value:
        cell = ws.cell(row=row, column=5)
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
            cell.value = round(cell.value * rng.uniform(0.8, 1.2), 2)
        row += 1
    wb.save(target)


def cached_submissions(cache: Path, count: int, catalog, quarter) -> list[Path]:
    from plantrack.demo import make_demo_submissions

    key = f"{count} {quarter.code} {catalog.version}"
    marker = cache / ".complete"
    if marker.exists() and marker.read_text() == key:
        return sorted(cache.glob("*.xlsx"))
    shutil.rmtree(cache, ignore_errors=True)
    seeds, _ = make_demo_submissions(catalog, quarter, cache / "_seeds")
    for n in range(count):
        seed = seeds[n % len(seeds)]
        vary(seed, cache / f"{n:05d}_{seed.name}", n)
        if (n + 1) % 100 == 0:
            print(f"  generated {n + 1}/{count}", file=sys.stderr, flush=True)
    shutil.rmtree(cache / "_seeds")
    marker.write_text(key)
    return sorted(cache.glob("*.xlsx"))


def fill_inbox(files: list[Path], inbox: Path) -> None:
    inbox.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, inbox / path.name)


def run_direct(files: list[Path], home: Path, catalog, quarter) -> dict[str, float]:
    """The stage functions in a plain loop, on their own PLANTRACK_HOME: seconds per stage."""
    from plantrack import pipeline
    from plantrack.plans import plan_for_year
    from plantrack.settings import load_settings
    from warehouse.db import connect

    settings = load_settings({"PLANTRACK_HOME": str(home)})
    t0 = time.perf_counter()
    outcomes = [
        pipeline.ingest_file(
            p, catalog, quarter, settings.archive, plan_for_year(settings, quarter.year).suites_dir
        )
        for p in files
    ]
    t1 = time.perf_counter()
    con = connect(settings.warehouse_path)
    try:
        pipeline.load(con, pipeline.new_run_id(quarter), quarter, catalog, outcomes, settings)
        t2 = time.perf_counter()
        pipeline.render_briefs(
            con, catalog, quarter, settings.quarter_out(quarter.code), catalog.issuer, settings.font_cache
        )
        t3 = time.perf_counter()
    finally:
        con.close()
    return {"ingest": t1 - t0, "load": t2 - t1, "render": t3 - t2, "total": t3 - t0}


def reset_peak_rss() -> None:
    """Start this process's peak RSS (VmHWM) again from its current RSS (Linux ≥ 4.0)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    """This process's peak RSS since it started or since ``reset_peak_rss`` (NaN off Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_flow(quarterly_run, inbox: Path) -> tuple[float, float, str, str]:
    """Seconds, peak RSS in MiB, the run's message, and how its tasks ended (e.g. "ingest: 39
    Cached, 1 Completed"). The peak is the run's own: the high-water mark is reset first."""
    reset_peak_rss()
    start = time.perf_counter()
    state = quarterly_run(quarter=QUARTER, inbox=str(inbox), return_state=True)
    elapsed = time.perf_counter() - start
    peak = peak_rss_mib()
    if not state.is_completed():
        raise SystemExit(f"the flow did not complete: {state.name}: {state.message}")
    return elapsed, peak, state.message, task_states(state.state_details.flow_run_id)


def task_states(flow_run_id) -> str:
    from collections import Counter

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs: list = []
    with get_client(sync_client=True) as client:
        while True:  # the API returns at most 200 at a time
            page = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                limit=200,
                offset=len(runs),
            )
            runs += page
            if len(page) < 200:
                break
    counts = Counter((r.task_key.rsplit("-", 1)[0], r.state_name) for r in runs)
    tasks = sorted({task for task, _ in counts})
    spans = {}  # task → (first start, last end): the stage's wall time within the flow
    for r in runs:
        if r.start_time and r.end_time:
            task = r.task_key.rsplit("-", 1)[0]
            first, last = spans.get(task, (r.start_time, r.end_time))
            spans[task] = (min(first, r.start_time), max(last, r.end_time))
    return "; ".join(
        (
            f"{task} ({(spans[task][1] - spans[task][0]).total_seconds():.1f} s): "
            if task in spans
            else f"{task}: "
        )
        + ", ".join(f"{n} {state}" for (t, state), n in sorted(counts.items()) if t == task)
        for task in tasks
    )


def code_fingerprint() -> str:
    """Everything a cached ingest result depends on besides the files (see flows/quarterly.py)."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("plantrack", "transforms", "flows", "expectations", "warehouse"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.read_bytes())
    return digest.hexdigest()


def warm_up(files: list[Path], scratch: Path, catalog, quarter) -> None:
    """Imports, GX, the font subset and Prefect's embedded server, outside every timing."""
    run_direct(files[:2], scratch, catalog, quarter)

    from prefect import flow

    @flow
    def nothing() -> None:
        return None

    nothing()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="number of submissions (1000)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "plantrack-bench-flow-files",
        help="folder for the generated submissions (reused between runs)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folders afterwards")
    parser.add_argument(
        "--skip-direct", action="store_true", help="time only the flow (no direct stage calls)"
    )
    parser.add_argument("--json-out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.files < 2:
        parser.error("--files must be at least 2")

    work = Path(tempfile.mkdtemp(prefix="plantrack-bench-flow-"))
    os.environ["PLANTRACK_HOME"] = str(work / "flow")
    from plantrack.catalog import catalog_from_settings
    from plantrack.periods import parse_quarter
    from plantrack.settings import configure_prefect, load_settings

    settings = load_settings()
    configure_prefect(settings)  # before Prefect is imported: its state goes under the home
    catalog = catalog_from_settings(settings)
    quarter = parse_quarter(QUARTER)
    try:
        print(f"preparing {args.files} submissions in {args.cache} (cached) …", file=sys.stderr)
        files = cached_submissions(args.cache, args.files, catalog, quarter)
        inbox = settings.quarter_inbox(quarter.code)
        fill_inbox(files, inbox)
        print("warming up …", file=sys.stderr)
        warm_up(files, work / "warm", catalog, quarter)
        from flows.quarterly import quarterly_run

        stages = {"ingest": 0.0, "load": 0.0, "render": 0.0, "total": float("nan")}
        if not args.skip_direct:
            print("direct stage calls …", file=sys.stderr)
            stages = run_direct(files, work / "direct", catalog, quarter)
        direct = stages["total"]
        print("flow, full run …", file=sys.stderr)
        code_before = code_fingerprint()
        full, full_rss, message, full_tasks = run_flow(quarterly_run, inbox)
        changed = sorted(inbox.glob("*.xlsx"))[len(files) // 2]
        vary(changed, changed, seed=-1)
        print(f"flow, again after changing {changed.name} …", file=sys.stderr)
        rerun, rerun_rss, _, rerun_tasks = run_flow(quarterly_run, inbox)
        added = changed.with_name(changed.stem + "_补报" + changed.suffix)  # sorts right after it
        vary(changed, added, seed=-2)
        print(f"flow, again after adding {added.name} …", file=sys.stderr)
        again, again_rss, _, again_tasks = run_flow(quarterly_run, inbox)
        code_changed = code_fingerprint() != code_before
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nquarterly flow, {args.files} files, {QUARTER}, {os.cpu_count()} CPUs ({message})")
    print(f"{'':<42}{'seconds':>9}{'ratio':>9}{'peak MiB':>10}")
    print(f"{'stage functions called directly':<42}{direct:>9.1f}{1:>9.2f}  (baseline)")
    print(
        f"{'  of which ingest / load / render':<42}"
        f"{stages['ingest']:>9.1f} / {stages['load']:.1f} / {stages['render']:.1f}"
    )
    print(f"{'flow, full run':<42}{full:>9.1f}{full / direct:>9.2f}{full_rss:>10.0f}  flow / direct")
    print(
        f"{'flow, again after 1 file changed':<42}{rerun:>9.1f}{rerun / full:>9.2f}{rerun_rss:>10.0f}"
        f"  rerun / full run (target <= {TARGET_RERUN_SHARE:.2f})"
    )
    print(
        f"{'flow, again after 1 file added':<42}{again:>9.1f}{again / full:>9.2f}{again_rss:>10.0f}"
        "  added / full run"
    )
    print(f"\ntasks of the full run:  {full_tasks}\ntasks of the rerun:     {rerun_tasks}")
    print(f"tasks after the add:    {again_tasks}")
    if code_changed:
        print(
            "\nWARNING: the source tree or catalog changed while the benchmark ran, which may "
            "invalidate the ingest cache: the rerun figure may not measure caching. Run it "
            "again on a tree nobody edits."
        )
    ok = rerun / full <= TARGET_RERUN_SHARE
    print(
        f"\nrerun after one change: {rerun / full:.1%} of the full run: {'met' if ok else 'MISSED'}; "
        f"flow overhead over direct calls: {(full - direct) / direct:+.0%}"
    )
    if args.keep:
        print(f"work folders kept in {work}")
    if args.json_out:
        import json

        args.json_out.write_text(
            json.dumps(
                {
                    "files": args.files,
                    "direct": stages,
                    "full": full,
                    "rerun": rerun,
                    "rerun_share": rerun / full,
                    "full_rss": full_rss,
                    "rerun_rss": rerun_rss,
                    "added": again,
                    "added_rss": again_rss,
                }
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
