"""Speed and memory of the first impression, the check and a big quarter, side by side.

    .venv/bin/python benchmarks/bench_speed.py [--files 1000] [--cache DIR] [--skip demo,flow]

Printed in one run (so that ratios compare work measured under the same load):

- what ``scripts/bootstrap`` builds once per machine, into new caches: the font subsets
  (``python -m plantrack.fonts``) and Prefect's migrated database (``python -m
  plantrack.prefect_db``); then ``plantrack demo`` on a fresh home (what a new machine
  does after bootstrap), then again (warm): wall time, its stages (seconds
  inside each pipeline stage; ingest runs on two threads, so it is the sum over batches)
  and peak RSS;
- ``plantrack check FILE``: cold from the shell (a new interpreter), the import of
  Great Expectations alone (the floor of a cold check), and warm in-process
  (``validate.check_file`` again in a process that has checked once: what the portal does);
- for N submissions: the bare calamine read of each, the reader (``read_submission``),
  validation one file at a time (``validate_submission``, the old way) and in batches
  of 25 grouped by unit as the flow makes them (``validate_submissions``), per file, with their ratios to
  the bare read and the peak RSS of that child process;
- the quarterly flow on the N files, full run and rerun after one changed file
  (``bench_flow.py --skip-direct``, in a child process) with its peak RSS.

Peak RSS is ``ru_maxrss`` of each child (the largest process of its tree).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PY = sys.executable
CHECK_FILE = REPO / "tests" / "fixtures" / "validation" / "clean.xlsx"

from plantrack.ingest_cache import MAX_BATCH as BATCH  # noqa: E402 (the flow's batches; after sys.path)


def child(args: list[str], env: dict | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS in MiB, the finished process) of a child run on its own.

    RUSAGE_CHILDREN keeps the maximum over all children waited for so far, so each
    measurement runs in its own intermediate process that reports its child's peak.
    """
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter(); p = subprocess.run([sys.executable, *sys.argv[1:]])\n"
        "print(json.dumps([time.perf_counter() - t,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode]),"
        " file=open(__import__('os').environ['BENCH_OUT'], 'w'))\n"
    )
    out = Path(tempfile.mkstemp(prefix="plantrack-bench-")[1])
    run_env = {**os.environ, **(env or {}), "BENCH_OUT": str(out), "PYTHONPATH": str(REPO)}
    done = subprocess.run([PY, "-c", probe, *args], env=run_env, capture_output=True, text=True, cwd=REPO)
    wall, rss_kib, code = json.loads(out.read_text())
    out.unlink()
    done.returncode = code  # the measured command's, not the probe's
    return wall, rss_kib // 1024, done


STAGE_DRIVER = """
import json, sys, threading, time
from plantrack import pipeline
stages, lock = {}, threading.Lock()
def timed(name, fn):
    def run(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            with lock:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
    return run
for name in ("ingest_batch", "load", "render_briefs", "write_quality_outputs", "finish"):
    setattr(pipeline, name, timed(name, getattr(pipeline, name)))
from plantrack.cli import main
code = main(sys.argv[2:])
json.dump({"code": code, "stages": stages}, open(sys.argv[1], "w"))
"""


def bench_demo(work: Path) -> list[dict]:
    env = {
        "PLANTRACK_HOME": str(work / "demo-home"),
        "PLANTRACK_FONT_CACHE": str(work / "fonts"),
        "PLANTRACK_PREFECT_DB_CACHE": str(work / "prefect-db"),
    }
    rows = []
    for module, label in (  # what scripts/bootstrap does once per machine
        ("plantrack.fonts", "font subsets, once per machine (bootstrap)"),
        ("plantrack.prefect_db", "Prefect's migrated database, once per machine (bootstrap)"),
    ):
        wall, rss, done = child(["-m", module], env)
        if done.returncode:
            raise SystemExit(f"{module} failed: {done.stderr[-2000:]}")
        rows.append({"label": label, "wall": wall, "rss": rss, "stages": {}})
    for label in ("plantrack demo, fresh home, after bootstrap", "plantrack demo, warm (again)"):
        report = work / "demo-stages.json"
        wall, rss, done = child(["-c", STAGE_DRIVER, str(report), "demo"], env)
        if done.returncode or not report.exists():
            raise SystemExit(f"demo failed: {done.stdout[-2000:]}{done.stderr[-3000:]}")
        rows.append(
            {"label": label, "wall": wall, "rss": rss, "stages": json.loads(report.read_text())["stages"]}
        )
    return rows


def bench_check() -> dict:
    env = {"PLANTRACK_HOME": tempfile.mkdtemp(prefix="plantrack-bench-check-")}
    cold, cold_rss, done = child(["-m", "plantrack.cli", "check", str(CHECK_FILE)], env)
    assert done.returncode == 0, done.stderr[-2000:]
    # GX as plantrack imports it (scipy.stats deferred: plantrack.validate.gx.preload)
    gx, gx_rss, _ = child(["-c", "from plantrack.validate.gx import preload; preload()"])
    help_wall, _, _ = child(["-m", "plantrack.cli", "--help"])
    from plantrack.catalog import catalog_from_settings
    from plantrack.settings import PLANS_DIR, load_settings
    from plantrack.validate import check_file

    settings = load_settings({})
    catalog = catalog_from_settings(settings, 2021)
    suites_dir = PLANS_DIR / "2021" / "suites"
    check_file(CHECK_FILE, catalog, None, suites_dir, data_docs=False)  # as `check` and the portal
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        check_file(CHECK_FILE, catalog, None, suites_dir, data_docs=False)
        warm.append(time.perf_counter() - start)
    return {
        "cold": cold,
        "cold_rss": cold_rss,
        "gx_import": gx,
        "gx_rss": gx_rss,
        "help": help_wall,
        "warm": statistics.median(warm),
    }


VALIDATION_DRIVER = """
import json, sys, time
from pathlib import Path
import polars as pl
from plantrack.catalog import catalog_from_settings
from plantrack.periods import parse_quarter
from plantrack.reader import read_submission
from plantrack.settings import load_settings
from plantrack.validate import validate_submission, validate_submissions
files = [Path(p) for p in json.loads(Path(sys.argv[2]).read_text())]
settings = load_settings({}); catalog = catalog_from_settings(settings, 2021); q = parse_quarter("2021Q2")
from plantrack.settings import PLANS_DIR
suites_dir = PLANS_DIR / "2021" / "suites"
units = {i.id: i.unit for i in catalog.indicators}
def read(p):
    return read_submission(p, catalog.units, indicator_units=units)
warm = [read(p) for p in files[:4]]  # imports, GX, suites: outside every timing
validate_submissions([(s, None, None) for s in warm], catalog, q, suites_dir)
for s in warm:
    validate_submission(s, catalog, q, suites_dir)
t = time.perf_counter()
for p in files:
    pl.read_excel(p, sheet_name="填报", engine="calamine")
bare = time.perf_counter() - t
t = time.perf_counter(); subs = [read(p) for p in files]; reader = time.perf_counter() - t
one = None
if len(sys.argv) < 4:
    t = time.perf_counter()
    for s in subs:
        validate_submission(s, catalog, q, suites_dir)
    one = time.perf_counter() - t
from plantrack.pipeline import batches_by_unit
by_path = dict(zip(files, subs))
t = time.perf_counter()
for batch in batches_by_unit(files, BATCH_SIZE, catalog):  # as the flow batches them
    validate_submissions([(by_path[p], None, None) for p in batch], catalog, q, suites_dir)
stacked = time.perf_counter() - t
json.dump({"bare": bare, "reader": reader, "one_by_one": one, "stacked": stacked},
          open(sys.argv[1], "w"))
""".replace("BATCH_SIZE", str(BATCH))


def bench_validation(files: list[Path], work: Path, one_by_one: bool) -> dict:
    listing, report = work / "files.json", work / "validation.json"
    listing.write_text(json.dumps([str(p) for p in files]))
    args = ["-c", VALIDATION_DRIVER, str(report), str(listing)] + ([] if one_by_one else ["skip"])
    wall, rss, done = child(args)
    if done.returncode:
        raise SystemExit(f"validation benchmark failed: {done.stderr[-2000:]}")
    return {**json.loads(report.read_text()), "rss": rss, "files": len(files)}


def bench_flow(n: int, cache: Path, work: Path) -> dict:
    report = work / "flow.json"
    wall, rss, done = child(
        [
            str(REPO / "benchmarks" / "bench_flow.py"),
            "--files",
            str(n),
            "--cache",
            str(cache),
            "--skip-direct",
            "--json-out",
            str(report),
        ]
    )
    if not report.exists():
        raise SystemExit(f"flow benchmark failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return {**json.loads(report.read_text()), "rss": rss, "wall": wall}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="submissions for validation and flow")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "plantrack-bench-flow-files",
        help="folder of generated submissions (shared with bench_flow.py)",
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to skip: demo,check,validation,one-by-one,flow"
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="plantrack-bench-speed-"))
    print(f"start: {load_average()}", file=sys.stderr)
    out: dict = {}
    if "demo" not in skip:
        print("demo …", file=sys.stderr)
        out["demo"] = bench_demo(work)
        print(json.dumps(out), file=sys.stderr)  # so far, should a later part fail
    if "check" not in skip:
        print("check …", file=sys.stderr)
        out["check"] = bench_check()
        print(json.dumps(out), file=sys.stderr)  # so far, should a later part fail
    if "validation" not in skip or "flow" not in skip:
        import bench_flow as flow_files  # the flow benchmark's generated submissions, reused

        from plantrack.catalog import catalog_from_settings
        from plantrack.periods import parse_quarter
        from plantrack.settings import load_settings

        catalog = catalog_from_settings(load_settings({}))
        print(f"preparing {args.files} submissions in {args.cache} …", file=sys.stderr)
        files = flow_files.cached_submissions(
            args.cache, args.files, catalog, parse_quarter(flow_files.QUARTER)
        )
    if "validation" not in skip:
        print("validation …", file=sys.stderr)
        out["validation"] = bench_validation(files, work, "one-by-one" not in skip)
        print(json.dumps(out), file=sys.stderr)  # so far, should a later part fail
    if "flow" not in skip:
        print("flow …", file=sys.stderr)
        out["flow"] = bench_flow(args.files, args.cache, work)
    print_report(out)
    print(f"\nend: {load_average()}")
    return 0


def print_report(out: dict) -> None:
    print(f"\n{'':<52}{'seconds':>9}{'peak MiB':>10}")
    for row in out.get("demo", []):
        print(f"{row['label']:<52}{row['wall']:>9.1f}{row['rss']:>10}")
        if stages := row["stages"]:
            print("    stages: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    if c := out.get("check"):
        print(f"{'plantrack check FILE, cold (new interpreter)':<52}{c['cold']:>9.2f}{c['cold_rss']:>10}")
        print(
            f"{'  of which importing GX as plantrack does, alone':<52}{c['gx_import']:>9.2f}{c['gx_rss']:>10}"
        )
        print(f"{'plantrack --help (interpreter and CLI floor)':<52}{c['help']:>9.2f}")
        print(f"{'check_file, warm in-process (median of 5)':<52}{c['warm']:>9.3f}")
    if v := out.get("validation"):
        n = v["files"]
        print(f"\n{n} files, milliseconds per file (ratio to the bare read), peak {v['rss']} MiB")
        for key, label in (
            ("bare", "bare calamine read of the data sheet"),
            ("reader", "read_submission (all sheets, every cell)"),
            ("one_by_one", "validation one file at a time (before)"),
            ("stacked", f"validation, flow's batches of {BATCH} (now)"),
        ):
            if v.get(key) is not None:
                print(f"  {label:<50}{1000 * v[key] / n:>9.2f}  ({v[key] / v['bare']:.1f}x)")
    if f := out.get("flow"):
        print(
            f"\nquarterly flow, {f['files']} files: full run {f['full']:.1f} s, rerun after one "
            f"changed file {f['rerun']:.1f} s ({f['rerun_share']:.1%}); peak RSS of each run "
            f"{f['full_rss']:.0f} / {f['rerun_rss']:.0f} MiB, of the process (both, and the "
            f"warm-up) {f['rss']} MiB"
        )


if __name__ == "__main__":
    sys.exit(main())
