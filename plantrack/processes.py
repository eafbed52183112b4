"""A run's own processes end with it: Prefect's embedded API server, the render pool's
fork server and workers.

``contain_children`` (called first by ``plantrack run`` and ``plantrack demo``):

- the command becomes the leader of its own process group (when it is not already, as
  under a shell), so every process it starts is in that group;
- SIGTERM and SIGHUP become ``SystemExit``: ``finally`` blocks and ``atexit`` run, and
  Prefect stops its server, the pool shuts down;
- a small watchdog process waits for the command to end; when it was terminated or ended
  without saying so (kill -9, a crash in C code), the watchdog terminates the rest of the
  group (SIGTERM, then SIGKILL after 5 s). A normal exit ends nothing: the command's own
  ``finally`` blocks did that, and a ``| tee`` in the same group keeps its output.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import time

_DONE = b"done"
_signalled: list[int] = []


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def forkserver_context(*also: str):
    """The context every worker pool of a run starts from: a fork server that starts clean
    (no Prefect or DuckDB threads to inherit) with WeasyPrint and the brief code loaded,
    and the modules ``also`` names.

    A process has one fork server, started by whichever pool comes first, with that
    pool's preload: the ingest workers of a large quarter add Great Expectations
    (``plantrack.validate.preloaded``), imported once in the server instead of once in
    every worker; the render pool of a small quarter starts one without it.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["weasyprint", "plantrack.report", *also])
    return ctx


def end_process(process, grace: float) -> None:
    """Ask a child to stop (SIGTERM); kill it when it has not within ``grace`` seconds."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _exit_on_signal(signum, frame):
    _signalled.append(signum)
    raise SystemExit(128 + signum)


def contain_children() -> None:
    if os.name != "posix":
        return
    try:
        if os.getpgrp() != os.getpid():
            os.setpgid(0, 0)
    except OSError:
        pass
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the watchdog
        os.close(write_end)
        _watch(read_end, os.getpgrp())
    os.close(read_end)

    def said_done() -> None:
        try:
            if not _signalled:  # terminated: whatever did not stop on its own is ended
                os.write(write_end, _DONE)
            os.close(write_end)
            os.waitpid(pid, 0)
        except OSError:
            pass

    atexit.register(said_done)


def _watch(read_end: int, group: int) -> None:
    """Wait for the command's end; after an unannounced one, end the rest of its group."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        said = b""
        while chunk := os.read(read_end, 16):
            said += chunk
        if said != _DONE:
            _end_group(group)
    finally:
        os._exit(0)


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _others_in(group):
        time.sleep(0.1)
    for pid in _others_in(group):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _others_in(group: int) -> list[int]:
    """Live processes of ``group`` other than this one (from /proc; empty elsewhere)."""
    me, found = os.getpid(), []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z" and int(fields[2]) == group:  # state, ppid, pgrp
            found.append(int(entry))
    return found


if __name__ == "__main__":  # for the tests: contain, start a child, report its pid, wait
    import subprocess

    contain_children()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(child.pid, flush=True)
    time.sleep(600)
