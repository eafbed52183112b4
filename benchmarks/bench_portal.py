"""Portal benchmark: the verdict for one file on screen, on a warm server, beside check_file in-process.

    .venv/bin/python benchmarks/bench_portal.py [--rounds 20]

Starts ``plantrack portal --quarter 2021Q2`` on a free port of 127.0.0.1 with a
fresh PLANTRACK_HOME (its start-up warms the validation machinery), makes an
account with ``plantrack portal user add``, logs in through the one-time link,
then for each of two real workbooks — 环翠区's template filled cleanly, and the
same with three planted mistakes — times, per round:

- **portal**: the upload (multipart POST, streamed, checked by the reader's guards
  and ``check_file``, stored) plus the GET of the verdict page it redirects to,
  until the whole HTML (problem list and drawn grid) has arrived;
- **in-process**: ``plantrack.validate.check_file`` on the same file in this
  process (warmed the same way), i.e. the floor the portal cannot beat.

Prints median / p90 / max of both side by side, and the portal's overhead. The
exit status is 0 when the portal's median is at most 1 s (the target).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TARGET_SECONDS = 1.0
PASSWORD = "bench-password-2021"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workbooks(folder: Path) -> dict[str, Path]:
    from plantrack.catalog import catalog_from_settings
    from plantrack.periods import Quarter
    from plantrack.settings import load_settings
    from tests.fixtures.validation.make_fixtures import STATUS, filled

    catalog = catalog_from_settings(load_settings({}))
    clean = filled(catalog, "huancui", Quarter(2021, 2), folder / "clean.xlsx")
    clean.wb.save(folder / "clean.xlsx")
    planted = filled(catalog, "huancui", Quarter(2021, 2), folder / "planted.xlsx")
    planted.value_cell("I07-3-1").value = "待统计"
    planted.value_cell("I11-1-1").value = -5
    planted.milestones.cell(row=planted.tasks["M08-1"], column=STATUS, value="差不多了")
    planted.wb.save(folder / "planted.xlsx")
    return {"clean": folder / "clean.xlsx", "3 mistakes": folder / "planted.xlsx"}


def start_server(home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PLANTRACK_HOME": str(home), "PLANTRACK_PORTAL_URL": f"http://127.0.0.1:{port}"}
    log = (home / "portal.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plantrack.cli", "portal", "--port", str(port), "--quarter", "2021Q2"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("portal did not start:\n" + (home / "portal.log").read_text())
        time.sleep(0.3)
    print(f"server ready (start-up incl. warm-up) in {time.perf_counter() - started:.1f} s")
    return proc


def log_in(base: str, home: Path) -> httpx.Client:
    env = {**os.environ, "PLANTRACK_HOME": str(home), "PLANTRACK_PORTAL_URL": base}
    link = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "plantrack.cli",
                "portal",
                "user",
                "add",
                "--unit",
                "huancui",
                "--name",
                "基准测试",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get(link.removeprefix(base))
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    client.post(link.removeprefix(base), data={"csrf_token": token, "password": PASSWORD, "repeat": PASSWORD})
    return client


def portal_verdict(client: httpx.Client, path: Path) -> float:
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/q/2021Q2").text).group(1)
    data = path.read_bytes()
    started = time.perf_counter()
    answer = client.post(
        "/q/2021Q2/upload",
        data={"csrf_token": token},
        files={"file": (path.name, data)},
        follow_redirects=True,
    )
    seconds = time.perf_counter() - started
    if answer.status_code != 200 or 'id="verdict"' not in answer.text:
        raise SystemExit(f"upload failed: {answer.status_code}\n{answer.text[:500]}")
    return seconds


def in_process(path: Path) -> float:
    from plantrack.catalog import catalog_from_settings
    from plantrack.periods import Quarter
    from plantrack.plans import plan_for_year
    from plantrack.settings import load_settings
    from plantrack.validate import check_file

    settings = load_settings({})
    catalog = catalog_from_settings(settings)
    started = time.perf_counter()
    check_file(path, catalog, Quarter(2021, 2), plan_for_year(settings, 2021).suites_dir)
    return time.perf_counter() - started


def figures(times: list[float]) -> str:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return f"{statistics.median(times):6.3f} {p90:6.3f} {times[-1]:6.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plantrack-bench-portal-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        files = workbooks(Path(tmp))
        port = free_port()
        proc = start_server(home, port)
        try:
            client = log_in(f"http://127.0.0.1:{port}", home)
            for path in files.values():  # warm both sides alike
                portal_verdict(client, path)
                in_process(path)
            print(f"\n{args.rounds} rounds per file; seconds: median p90 max")
            print(
                f"{'file':<12} {'portal (upload + verdict page)':<30} {'check_file in-process':<24} overhead"
            )
            medians = []
            for label, path in files.items():
                served = [portal_verdict(client, path) for _ in range(args.rounds)]
                direct = [in_process(path) for _ in range(args.rounds)]
                medians.append(statistics.median(served))
                overhead = statistics.median(served) - statistics.median(direct)
                print(f"{label:<12} {figures(served):<30} {figures(direct):<24} {overhead:+.3f}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    worst = max(medians)
    print(
        f"\ntarget: verdict on screen <= {TARGET_SECONDS:.1f} s on a warm server "
        f"(median); worst median {worst:.3f} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'}"
    )
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
