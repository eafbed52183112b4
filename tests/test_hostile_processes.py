"""A run's processes end with it, and a run that did not finish is never left 'running'."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from plantrack import pipeline
from plantrack.periods import Quarter
from tests.conftest import REPO
from warehouse.db import connect

Q2 = Quarter(2021, 2)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_children_end_when_the_command_is_killed(sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "plantrack.processes"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=False,
    )
    try:
        child = int(proc.stdout.readline())
        assert _alive(child)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the command's child outlived it"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_run_left_running_is_failed_by_the_next_load(settings, catalog):
    con = connect(settings.warehouse_path)
    con.execute("insert into runs values ('killed', '2021Q2', now(), null, 'running', null)")
    pipeline.load(con, "next", Q2, catalog, [], settings)
    rows = dict(con.execute("select run_id, state from runs").fetchall())
    message = con.execute("select message from runs where run_id = 'killed'").fetchone()[0]
    assert rows == {"killed": "failed", "next": "running"}
    assert message == pipeline.STALE_RUN
    pipeline.fail_run(con, "next", "RenderError: boom")
    assert con.execute("select state, message from runs where run_id = 'next'").fetchone() == (
        "failed",
        "RenderError: boom",
    )
    con.close()
