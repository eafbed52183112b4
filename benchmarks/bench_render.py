"""Benchmark: render the city brief and every unit brief of a quarter.

Prints, measured side by side in one run:
- seconds per brief, warm (fonts prepared and WeasyPrint loaded), city and units;
- the same HTML rendered by plain WeasyPrint with the system CJK font
  (font-family 'Noto Sans CJK SC', no pre-built subset), and the speed-up;
- all briefs rendered in parallel processes: wall time against the CPU time the
  workers spent (CPU / wall near the number of cores means every core was used).

Target: at most 1.5 s per brief warm on a 2-core machine.

    .venv/bin/python benchmarks/bench_render.py [--warehouse PATH] [--quarter 2021Q2] [--workers N]

Without --warehouse, a warehouse is built in a temporary folder from the real
2021 catalog, with every unit reporting a spread of figures around its
expected-to-date (no Prefect, no spreadsheets: only rendering is measured).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from plantrack import report
from plantrack.catalog import Catalog, catalog_from_settings
from plantrack.fonts import FAMILY, prepared_fonts
from plantrack.periods import Quarter, parse_quarter
from plantrack.settings import load_settings
from tests.fixtures.progress.warehouse_builder import synthetic_warehouse

SPREAD = (0.3, 0.6, 0.85, 0.95, 1.0, 1.1, 1.3)  # figures as a share of the expected progress


def build_warehouse(path: Path, catalog: Catalog, quarter: Quarter) -> Path:
    return synthetic_warehouse(path, catalog, quarter, SPREAD, ("推进中", "已完成", "未启动"))


def plain_html(html: str) -> str:
    """The same brief for plain WeasyPrint: the system CJK font by name, no prepared subset."""
    return (
        html.replace(f"'{FAMILY}', ", "")
        .replace(f"{FAMILY}, ", "")
        .replace("@font-face", "@font-face-unused")
    )


def render_plain(html: str, target: Path) -> float:
    from weasyprint import HTML

    started = time.perf_counter()
    HTML(string=html, base_url=str(report.TEMPLATES_DIR) + "/").write_pdf(target)
    return time.perf_counter() - started


def fonttools_subsetting(enabled: bool) -> None:
    """Make WeasyPrint subset with fontTools, as it does where HarfBuzz's subsetter is missing."""
    import weasyprint.pdf.fonts as weasy_fonts

    if not hasattr(weasy_fonts, "_bench_hb_subset"):
        weasy_fonts._bench_hb_subset = weasy_fonts.harfbuzz_subset
    weasy_fonts.harfbuzz_subset = None if enabled else weasy_fonts._bench_hb_subset


def _spin(seconds: float) -> float:
    end, cpu = time.perf_counter() + seconds, time.process_time()
    while time.perf_counter() < end:
        pass
    return time.process_time() - cpu


def cores_available(workers: int, seconds: float = 1.0) -> float:
    """CPU seconds that ``workers`` busy processes get per wall second right now: how many
    cores other processes on the machine leave us."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_spin, [seconds] * workers)) / seconds


def timed(fn, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--quarter", default="2021Q2")
    parser.add_argument("--workers", type=int, default=report.available_cores())
    args = parser.parse_args()

    settings = load_settings()
    print(
        "load average before: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (other processes on the machine slow the wall-clock figures)"
    )
    catalog = catalog_from_settings(settings)
    quarter = parse_quarter(args.quarter)
    work = Path(tempfile.mkdtemp(prefix="bench_render_"))
    path = args.warehouse or build_warehouse(work / "warehouse.duckdb", catalog, quarter)

    seconds, _ = timed(prepared_fonts, settings.font_cache)
    fonts = prepared_fonts(settings.font_cache)
    print(f"fonts prepared in {seconds:.1f} s (cached in {settings.font_cache}; about 20 s the first time)")

    con = duckdb.connect(str(path), read_only=True)
    started = time.perf_counter()
    jobs = [
        report.RenderJob(
            "city",
            report.city_brief(con, catalog, quarter, catalog.issuer),
            work / "serial" / "city.pdf",
            report.report_date(quarter),
        )
    ]
    jobs += report.unit_jobs(con, catalog, quarter, work / "serial", catalog.issuer)
    con.close()
    print(f"view models for {len(jobs)} briefs built in {time.perf_counter() - started:.2f} s")

    html = {j.scope: report.render_html(j.brief, fonts, j.created) for j in jobs}
    cold, cold_cpu = timed(report.write_pdf, html["city"], work / "cold.pdf", fonts, jobs[0].created)
    ours = {j.scope: timed(report.write_pdf, html[j.scope], j.target, fonts, j.created) for j in jobs}
    render_plain(plain_html(html["city"]), work / "plain_cold.pdf")  # warm plain WeasyPrint up too
    plain = {j.scope: render_plain(plain_html(html[j.scope]), work / f"plain_{j.scope}.pdf") for j in jobs}

    units = [s for s in ours if s != "city"]
    ours_mean = statistics.mean(w for w, _ in ours.values())
    plain_mean = statistics.mean(plain.values())
    print(f"\nserial, one process (first render, cold: {cold:.2f} s, cpu {cold_cpu:.2f} s)")
    print(f"{'brief':<12}{'plantrack s':>12}{'cpu s':>8}{'plain s':>10}{'speed-up':>10}")
    for scope in ("city", *units):
        wall, cpu = ours[scope]
        print(f"{scope:<12}{wall:>12.2f}{cpu:>8.2f}{plain[scope]:>10.2f}{plain[scope] / wall:>9.1f}×")
    print(f"{'mean':<12}{ours_mean:>12.2f}{'':>8}{plain_mean:>10.2f}{plain_mean / ours_mean:>9.1f}×")

    fonttools_subsetting(True)
    ft_ours, _ = timed(report.write_pdf, html["city"], work / "ft_city.pdf", fonts, jobs[0].created)
    ft_plain = render_plain(plain_html(html["city"]), work / "ft_plain_city.pdf")
    fonttools_subsetting(False)
    print(
        f"\nwhere WeasyPrint subsets with fontTools (no HarfBuzz subsetter): city brief "
        f"{ft_ours:.2f} s, plain {ft_plain:.2f} s, speed-up {ft_plain / ft_ours:.1f}×"
    )
    sizes = [(work / "serial" / "city.pdf").stat().st_size, (work / "plain_city.pdf").stat().st_size]
    print(
        f"city PDF size: {sizes[0] / 1024:.0f} KiB with the prepared subset, "
        f"{sizes[1] / 1024:.0f} KiB with the system font"
    )

    started = time.perf_counter()
    parallel_jobs = [
        report.RenderJob(j.scope, j.brief, work / "parallel" / j.target.name, j.created) for j in jobs
    ]
    results = report.render_jobs(parallel_jobs, settings.font_cache, workers=args.workers)
    wall = time.perf_counter() - started
    cpu = sum(r.cpu_seconds for r in results)
    serial_total = sum(w for w, _ in ours.values())
    print(
        f"\nparallel, {args.workers} worker processes on {report.available_cores()} cores "
        f"(busy processes get {cores_available(args.workers):.2f} cores right now)"
    )
    print(
        f"{len(results)} briefs in {wall:.2f} s wall ({wall / len(results):.2f} s per brief); "
        f"worker CPU {cpu:.2f} s; CPU / wall = {cpu / wall:.2f}; "
        f"speed-up over serial {serial_total / wall:.2f}×"
    )
    same = all(
        (work / "serial" / r.path.name).read_bytes() == r.path.read_bytes()
        for r in results
        if (work / "serial" / r.path.name).exists()
    )
    print(f"parallel PDFs byte-identical to serial ones: {same}")
    print(
        f"target: ≤ 1.5 s per brief warm — {'met' if ours_mean <= 1.5 else 'NOT met'} "
        f"(mean {ours_mean:.2f} s, city {ours['city'][0]:.2f} s)"
    )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"outputs in {work}")


if __name__ == "__main__":
    main()
