"""Prefect's local API server, started first so that it comes up beside the start-up.

With no ``PREFECT_API_URL``, Prefect's embedded mode starts a temporary API server when
a flow first needs one: it imports its whole server into the command's own process
(about 4 s on two cores), then starts the server in a subprocess and waits for it
(about 6 s more), before anything of the flow runs. ``plantrack run`` and ``plantrack
demo`` start that same subprocess (Prefect's own command line for it, with its
ephemeral settings) as their first step instead: it comes up on the other core while
the command imports Great Expectations and writes the demo's files, and the flow runs
against it (``PREFECT_API_URL`` is set before Prefect is imported). One server serves
every flow run of the process (``demo --year`` runs four) and stops when it ends.

Nothing is started when ``PREFECT_API_URL`` is set already (the operator's own
server), or when Prefect has been imported already (a test harness, or Prefect's own
embedded server, is in charge then): Prefect then does as it always does.

The server's own output (uvicorn's, SQLAlchemy's, Prefect's) goes to a log file, never
to the command's terminal: a server that is stopped while it still answers a request
logs a traceback of the cancelled request, which is no news for the operator of a run
that ended well. When the server does not come up, the error quotes the file's last lines.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from plantrack.processes import end_process

log = logging.getLogger("plantrack")

# What Prefect's own embedded server runs with (prefect.server.api.server.SubprocessASGIServer).
_EPHEMERAL_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
# What the start of a flow run asks the server first (the client's version check, then
# reads and writes of flows and flow runs); read-only requests, answered and discarded.
_WARM_UP = (
    ("/admin/version", None),
    ("/flows/filter", {"limit": 1}),
    ("/flow_runs/filter", {"limit": 1}),
    ("/task_runs/filter", {"limit": 1}),
)
_STARTUP_FAILED = 3  # uvicorn's exit status when it cannot bind its port, or load the app
_TAIL_LINES = 12  # of the server's log, quoted when it did not come up


class LocalApiError(Exception):
    """The local API server did not come up (the message says why; Chinese)."""


class LocalApi:
    """One Prefect API server subprocess on 127.0.0.1, for the life of this process."""

    def __init__(
        self,
        app: str = "prefect.server.api.server:create_app",
        prefect_home: Path | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.app = app  # the ASGI factory uvicorn runs
        # A Prefect home of the server's own (``plantrack.prefect_db`` builds the machine's
        # template database in one): nothing of this process's environment changes then.
        self.prefect_home = prefect_home
        # Where the server's output goes (appended); a temporary file when None.
        self.log_path = log_path
        self._log: Path | None = None  # the file of the running server
        self._scratch: tempfile.TemporaryDirectory | None = None
        self.process: subprocess.Popen | None = None
        self.url: str | None = None
        self._up = threading.Event()  # set by the watching thread once the server answers

    def start(self) -> bool:
        """Start the server unless someone else is in charge; True when it was started."""
        if self.process is not None:
            return True
        own = self.prefect_home is None
        if own and (os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules):
            return False
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            return False
        app_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        command = [
            sys.executable, "-m", "uvicorn", "--app-dir", app_dir,
            "--factory", self.app,
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip
        env = {**os.environ, **_EPHEMERAL_ENV}
        if not own:
            env.pop("PREFECT_API_URL", None)
            env["PREFECT_HOME"] = str(self.prefect_home)
            env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # as configure_prefect
        self._log = self._log_file()
        with self._log.open("ab") as output:
            output.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: {self.url}\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        log.info("Prefect API starting on %s (pid %d, log %s)", self.url, self.process.pid, self._log)
        if own:
            os.environ["PREFECT_API_URL"] = self.url
        atexit.register(self.stop)
        self._up.clear()
        threading.Thread(target=self._watch, args=(self.process, self.url), daemon=True).start()
        return True

    def _watch(self, process: subprocess.Popen, url: str) -> None:
        """Ask for the server's health until it answers (``wait`` reads ``_up``), then ask
        it what a flow's start asks first, so that its first-request costs (~0.7 s for the
        version, ~0.45 s for the first database query) are paid on the server's core while
        this process is still importing. Ends with the server, or when it is stopped."""
        while not healthy(url):
            if process.poll() is not None or self.process is not process:
                return
            time.sleep(0.1)
        self._up.set()
        for path, body in _WARM_UP:
            try:
                request = urllib.request.Request(
                    f"{url}{path}",
                    data=None if body is None else json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            except OSError:  # the server went away, or answered an error: nothing to warm
                return

    def wait(self, timeout: float) -> str | None:
        """Block until the server answers its health check; its URL, or None when this
        process started none. Raises LocalApiError when it died or did not answer."""
        if self.process is None:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._up.wait(0.1):
                return self.url
            code = self.process.poll()
            if code is not None:
                # The port came free from the system, but another program may have bound it
                # since; Prefect has read this URL already, so the command is run again.
                taken = code == _STARTUP_FAILED and _port_taken(self.url)
                said = self._told()
                self.stop()
                if taken:
                    raise LocalApiError("本地 Prefect 服务的端口被其他程序占用，请重新运行。")
                raise LocalApiError(f"本地 Prefect 服务未能启动（退出码 {code}）。{said}")
        said = self._told()
        self.stop()
        raise LocalApiError(f"本地 Prefect 服务在 {timeout:.0f} 秒内未能启动。{said}")

    def _log_file(self) -> Path:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            return self.log_path
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="plantrack-api-")
        return Path(self._scratch.name) / "prefect-server.log"

    def _told(self) -> str:
        """The last lines the server wrote since it was started, for an error message."""
        if self._log is None:
            return ""
        try:
            text = self._log.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = text.rsplit(f"pid {os.getpid()}: {self.url}\n", 1)[-1].splitlines()[-_TAIL_LINES:]
        where = f"服务日志 {self.log_path}" if self.log_path is not None else "服务输出"
        return f"{where}的最后几行：\n" + "\n".join(lines) if lines else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if os.environ.get("PREFECT_API_URL") == self.url:
            del os.environ["PREFECT_API_URL"]
        end_process(process, grace=5)
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_taken(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def healthy(url: str) -> bool:
    """Whether the Prefect API at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:  # refused, reset, timed out (URLError is one)
        return False


SERVER = LocalApi()
