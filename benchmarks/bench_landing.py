"""Landing benchmark: archive + read + land N submissions, beside a bare calamine read.

    .venv/bin/python benchmarks/bench_landing.py [--sizes 10,100,1000] [--cache DIR]

For each N it prints the landing time and rows (raw cells) per second, the
ratio of landing time to a bare ``polars.read_excel(engine="calamine")`` of
sheet 填报 of the same files, measured side by side in the same process (wall
clock; the CPU-time ratio beside it, all threads counted), and the peak memory
(max RSS) of that process. Each N runs in a fresh child
process so that its peak memory is its own. Targets at N = 1000: landing at
most 2x the bare read, peak memory under 1 GiB.

The submissions are real templates (every reporting unit in turn) filled with
seeded random figures by openpyxl. Writing 1000 of them takes a minute, so they
are cached under ``--cache`` (default: a folder in the system temp dir) and
reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

TARGET_RATIO = 2.0
TARGET_MEMORY_MIB = 1024
QUARTER = "2021Q2"


def generate(cache: Path, count: int) -> list[Path]:
    """The first ``count`` filled submissions, written once and reused."""
    from openpyxl import load_workbook

    from plantrack.catalog import catalog_from_settings
    from plantrack.periods import parse_quarter
    from plantrack.settings import load_settings
    from plantrack.template import DATA_HEADER_ROW, DATA_SHEET, write_template

    catalog = catalog_from_settings(load_settings({}))
    quarter = parse_quarter(QUARTER)
    units = [u for u in catalog.reporting_units() if catalog.indicators_for(u.code)]
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        unit = units[n % len(units)]
        path = cache / f"{n:05d}_{QUARTER}_{unit.code}.xlsx"
        paths.append(path)
        if path.exists():
            continue
        rng = random.Random(n)
        tmp = path.with_suffix(".tmp.xlsx")
        write_template(catalog, unit, quarter, tmp, generated_at=datetime(2021, 7, 5, tzinfo=UTC))
        wb = load_workbook(tmp)
        ws = wb[DATA_SHEET]
        for i, ind in enumerate(catalog.indicators_for(unit.code)):
            value = rng.uniform(0, 2 * (ind.target or 10))
            ws.cell(
                row=DATA_HEADER_ROW + 1 + i,
                column=5,
                value=round(value, 2) if ind.unit in ("亿元", "%") else round(value),
            )
        wb.save(tmp)
        tmp.replace(path)
        if (n + 1) % 100 == 0:
            print(f"  generated {n + 1}/{count}", file=sys.stderr, flush=True)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process, every thread (DuckDB's and polars' included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_read(paths: list[Path]) -> tuple[float, float]:
    """(wall, cpu) seconds to read sheet 填报 of every file with polars' calamine engine."""
    import polars as pl

    start, cpu = time.perf_counter(), cpu_seconds()
    for path in paths:
        pl.read_excel(path, sheet_name="填报", engine="calamine")
    return time.perf_counter() - start, cpu_seconds() - cpu


def land(paths: list[Path], work: Path) -> tuple[float, float, int]:
    """(wall, cpu) seconds to archive, read and land every file in one transaction; cells landed."""
    from plantrack.catalog import catalog_from_settings
    from plantrack.landing import Landing, land_raw_many, receive
    from plantrack.reader import read_submission
    from plantrack.settings import load_settings
    from warehouse.db import connect, transaction

    catalog = catalog_from_settings(load_settings({}))
    indicator_units = {i.id: i.unit for i in catalog.indicators}
    con = connect(work / "bench.duckdb")

    def landings():
        for path in paths:
            data = path.read_bytes()  # read once: the bytes archived are the bytes read
            received = receive(path, work / "archive", data)  # archived by land_raw_many
            submission = read_submission(path, catalog.units, indicator_units=indicator_units, data=data)
            yield Landing(received, submission, QUARTER, data=data)

    start, cpu = time.perf_counter(), cpu_seconds()
    with transaction(con):
        land_raw_many(con, landings())
    elapsed, used = time.perf_counter() - start, cpu_seconds() - cpu
    cells = con.execute("select count(*) from raw_cells").fetchone()[0]
    con.close()
    return elapsed, used, cells


def worker(cache: Path, count: int) -> dict:
    paths = generate(cache, count)
    # warm both paths alike (page cache, library set-up) before timing either
    bare_read(paths[: min(count, 20)])
    with tempfile.TemporaryDirectory(prefix="plantrack-bench-") as tmp:
        land(paths[: min(count, 20)], Path(tmp))
    bare, bare_cpu = bare_read(paths)
    with tempfile.TemporaryDirectory(prefix="plantrack-bench-") as tmp:
        landing, landing_cpu, cells = land(paths, Path(tmp))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "n": count,
        "bare_s": bare,
        "landing_s": landing,
        "bare_cpu_s": bare_cpu,
        "landing_cpu_s": landing_cpu,
        "cells": cells,
        "peak_mib": peak,
    }


def run_size(cache: Path, count: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(count), "--cache", str(cache)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def report(result: dict) -> str:
    ratio = result["landing_s"] / result["bare_s"]
    cpu_ratio = result["landing_cpu_s"] / result["bare_cpu_s"]
    rows_per_s = result["cells"] / result["landing_s"]
    return (
        f"{result['n']:>6} {result['bare_s']:>9.3f} {result['landing_s']:>10.3f} "
        f"{ratio:>6.2f}x {cpu_ratio:>8.2f}x {result['cells']:>9} {rows_per_s:>12,.0f} "
        f"{result['peak_mib']:>9.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated N (default 10,100,1000)")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "plantrack-bench-files"),
        help="folder for the generated submissions (reused between runs)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = Path(args.cache)
    if args.worker:
        print(json.dumps(worker(cache, args.worker)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"generating up to {max(sizes)} submissions in {cache} (cached) …", file=sys.stderr)
    generate(cache, max(sizes))
    print(
        f"{'N':>6} {'bare (s)':>9} {'landing(s)':>10} {'ratio':>7} {'cpu ratio':>9} "
        f"{'raw cells':>9} {'rows/s':>12} {'peak MiB':>9}"
    )
    results = [run_size(cache, n) for n in sizes]
    for result in results:
        print(report(result), flush=True)
    largest = results[-1]
    ratio = largest["landing_s"] / largest["bare_s"]
    ok = ratio <= TARGET_RATIO and largest["peak_mib"] < TARGET_MEMORY_MIB
    print(
        f"\nN={largest['n']}: landing/bare = {ratio:.2f}x (target <= {TARGET_RATIO:g}x), "
        f"peak memory {largest['peak_mib']:.0f} MiB (target < {TARGET_MEMORY_MIB} MiB): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
