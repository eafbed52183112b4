"""Past one machine: a Prefect server, a process work pool and a worker, all on loopback.

The server and the worker are real subprocesses, each with its own
PREFECT_HOME in a temporary folder; nothing here needs the network beyond
127.0.0.1. The flow is deployed from this source tree, triggered with a small
inbox and its own PLANTRACK_HOME (passed to the run as a job variable), and
its outputs are checked. Every subprocess is stopped in ``finally``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from plantrack.demo import make_demo_submissions
from plantrack.periods import parse_quarter
from tests.test_mail import free_port

pytestmark = pytest.mark.flow

REPO = Path(__file__).resolve().parents[1]
POOL = "plantrack-ci"
SERVER_START_SECONDS = 90
RUN_SECONDS = 240
Q2 = parse_quarter("2021Q2")


@dataclass(frozen=True)
class Server:
    url: str
    root: Path


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Prefect or plantrack settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "PLANTRACK_HOME", "PLANTRACK_CONFIG"))
    }
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false", **extra
    )
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        # its own process group: stopping it also stops whatever it started
        return subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
        )


def stop(proc: subprocess.Popen, first: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, first)
        try:
            proc.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # the whole group may be gone already
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers in the group, or a hung leader
    proc.wait(timeout=10)


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args[2:5]} exited:\n{tail(log)}"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_SECONDS} s:\n{tail(log)}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = clean_env(PREFECT_HOME=str(root / "server-home"), PREFECT_API_URL=url, PREFECT_UI_ENABLED="false")
    log = root / "server.log"
    proc = start(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        log,
    )
    try:
        wait_healthy(url, proc, log)
        yield Server(url, root)
    finally:
        stop(proc)


@pytest.fixture
def api(prefect_server):
    """Prefect calls from this test process go to the loopback server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server.url}):
        yield prefect_server


def two_unit_inbox(catalog, scratch: Path, inbox: Path) -> list[str]:
    files, _ = make_demo_submissions(catalog, Q2, scratch)
    inbox.mkdir(parents=True)
    chosen = sorted(files)[:2]
    for path in chosen:
        shutil.copy(path, inbox / path.name)
    return [p.name for p in chosen]


def wait_final(flow_run_id, seconds: float):
    from prefect import get_client

    deadline = time.monotonic() + seconds
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final():
                return run
            if time.monotonic() > deadline:
                return run
            time.sleep(1)


def test_a_deployed_flow_runs_on_a_process_worker(api, tmp_path, catalog):
    from prefect import flow, get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    home = tmp_path / "plantrack-home"
    sent = two_unit_inbox(catalog, tmp_path / "demo", home / "inbox" / Q2.code)
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
    worker_log = tmp_path / "worker.log"
    worker = start(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"],
        clean_env(
            PREFECT_HOME=str(tmp_path / "worker-home"),
            PREFECT_API_URL=api.url,
            PREFECT_WORKER_QUERY_SECONDS="1",
        ),
        worker_log,
    )
    try:
        flow.from_source(source=str(REPO), entrypoint="flows/quarterly.py:quarterly_run").deploy(
            name="ci",
            work_pool_name=POOL,
            build=False,
            push=False,
            print_next_steps=False,
            ignore_warnings=True,
            job_variables={"env": {"PLANTRACK_HOME": str(home)}},
        )
        triggered = run_deployment("plantrack-quarterly/ci", parameters={"quarter": Q2.code}, timeout=0)
        run = wait_final(triggered.id, RUN_SECONDS)
    finally:
        stop(worker)

    assert run.state.is_completed(), f"{run.state.name}: {run.state.message}\n{tail(worker_log)}"
    assert Q2.code in run.state.message
    brief = home / "out" / Q2.code / f"{Q2.code}_全市科技工作要点落实情况简报.pdf"
    assert brief.read_bytes().startswith(b"%PDF")
    con = duckdb.connect(str(home / "warehouse" / "plantrack.duckdb"), read_only=True)
    try:
        landed = sorted(
            Path(r[0]).name for r in con.execute("select source_path from raw_submissions").fetchall()
        )
    finally:
        con.close()
    assert landed == sorted(sent)  # the run used the PLANTRACK_HOME given as a job variable
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        )
    assert artifacts, "the run left no summary artifact"


def test_plantrack_serve_registers_both_schedules(api, tmp_path):
    from plantrack.periods import next_runs

    log = tmp_path / "serve.log"
    serve = start(
        [sys.executable, "-m", "plantrack.cli", "serve"],
        clean_env(PREFECT_API_URL=api.url, PLANTRACK_HOME=str(tmp_path / "home")),
        log,
    )
    try:
        deployments = wait_for_deployments(
            ["plantrack-quarterly/quarterly", "plantrack-reminder/reminder"], serve, log
        )
        quarterly = deployments["plantrack-quarterly/quarterly"]
        scheduled = wait_for_scheduled_runs(quarterly.id, serve, log)
    finally:
        stop(serve, first=signal.SIGINT)

    for d in deployments.values():
        assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] in (
            [("0 6 10 1,4,7,10 *", "Asia/Shanghai")],
            [("0 9 5 1,4,7,10 *", "Asia/Shanghai")],
        )
        assert d.parameters == {"quarter": ""}
    expected = next_runs("0 6 10 1,4,7,10 *", "Asia/Shanghai", datetime.now(UTC))[0]
    assert scheduled[0].expected_start_time == expected  # the server agrees with --dry-run
    assert scheduled[0].parameters == {"quarter": ""}


def test_plantrack_serve_starts_and_stops_its_own_server_without_an_api_url(tmp_path):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "serve.log"
    serve = start(
        [sys.executable, "-m", "plantrack.cli", "serve", "--port", str(port)],
        clean_env(PLANTRACK_HOME=str(tmp_path / "home")),
        log,
    )
    try:
        wait_healthy(url, serve, log)  # serve's own server is up
        with temporary_settings(updates={PREFECT_API_URL: url}):
            wait_for_deployments(["plantrack-quarterly/quarterly", "plantrack-reminder/reminder"], serve, log)
        serve.send_signal(signal.SIGINT)  # to serve alone: it must stop the server it started
        serve.wait(timeout=60)
        assert port_closed(port, seconds=30), f"the local server outlived serve:\n{tail(log)}"
    finally:
        stop(serve)
    assert (tmp_path / "home" / "prefect").is_dir()  # the server's state stayed in the home
    assert (tmp_path / "home" / "logs" / "prefect-server.log").exists()


def port_closed(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.5)
    return False


def wait_for_deployments(names: list[str], proc: subprocess.Popen, log: Path) -> dict:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + 90
    found: dict = {}
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and len(found) < len(names):
            assert proc.poll() is None, f"plantrack serve exited:\n{tail(log)}"
            for name in names:
                with contextlib.suppress(ObjectNotFound):  # not registered yet
                    found[name] = client.read_deployment_by_name(name)
            time.sleep(0.5)
    assert sorted(found) == sorted(names), tail(log)
    return found


def wait_for_scheduled_runs(deployment_id, proc: subprocess.Popen, log: Path) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            )
            if runs:
                return runs
            assert proc.poll() is None, f"plantrack serve exited:\n{tail(log)}"
            time.sleep(1)
    pytest.fail(f"the server scheduled no run of the quarterly deployment:\n{tail(log)}")
