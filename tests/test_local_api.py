"""Prefect's local API server, started by plantrack itself before the flow (plantrack.local_api).

Each case runs in a fresh interpreter: whether a server is started depends on what the
process has imported and on its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys, urllib.request
from plantrack.local_api import LocalApi, LocalApiError
if sys.argv[1] == "prefect-first":
    import prefect  # noqa: F401
log_path = os.environ.get("PROBE_LOG") and __import__("pathlib").Path(os.environ["PROBE_LOG"])
app = "no_such_module:create_app" if sys.argv[1] == "broken" else "prefect.server.api.server:create_app"
api = LocalApi(app, log_path=log_path)
said = {"started": api.start(), "env": os.environ.get("PREFECT_API_URL")}
if said["started"]:
    process = api.process
    try:
        url = api.wait(120)
        with urllib.request.urlopen(url + "/health", timeout=5) as r:
            said["health"] = r.status
    except LocalApiError as exc:
        said["error"] = str(exc)
    api.stop()
    said["exit"] = process.poll()
    said["env_after"] = os.environ.get("PREFECT_API_URL")
print(json.dumps(said))
"""


def probe(case: str, tmp_path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environ.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false", **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, case], env=environ, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "stderr": done.stderr}


@pytest.mark.flow
def test_the_server_comes_up_answers_and_stops_with_the_command(tmp_path):
    said = probe("normal", tmp_path)
    assert said.pop("stderr") == ""  # the server's own output is its log's, not the terminal's
    assert said["started"] is True
    assert said["env"].startswith("http://127.0.0.1:") and said["env"].endswith("/api")
    assert said["health"] == 200
    assert said["exit"] is not None  # the server process has ended
    assert said["env_after"] is None  # and the environment no longer points at it


def test_an_operators_own_server_is_left_in_charge(tmp_path):
    said = probe("normal", tmp_path, PREFECT_API_URL="http://prefect.example:4200/api")
    assert said == {"started": False, "env": "http://prefect.example:4200/api", "stderr": ""}


def test_nothing_is_started_once_prefect_is_imported(tmp_path):
    said = probe("prefect-first", tmp_path)
    assert said == {"started": False, "env": None, "stderr": ""}


def test_a_server_that_dies_on_start_is_reported_not_waited_for(tmp_path):
    said = probe("broken", tmp_path)
    assert "未能启动" in said["error"] and "退出码 3" in said["error"]  # uvicorn: the app cannot be loaded
    assert "health" not in said and said["env_after"] is None


def test_what_a_dying_server_said_is_in_the_error_and_its_log_not_on_the_terminal(tmp_path):
    log = tmp_path / "logs" / "prefect-server.log"
    said = probe("broken", tmp_path, PROBE_LOG=str(log))
    # uvicorn's own words, quoted in the error with the file they are kept in
    assert "no_such_module" in said["error"] and str(log) in said["error"]
    assert "no_such_module" not in said["stderr"]
    assert "no_such_module" in log.read_text()
    said = probe("broken", tmp_path, PROBE_LOG=str(log))  # a second start appends
    assert log.read_text().count("Could not import module") == 2
    assert said["error"].count("Could not import module") == 1  # only what this start said


def test_without_a_log_file_the_error_still_quotes_the_server(tmp_path):
    said = probe("broken", tmp_path)
    assert "no_such_module" in said["error"] and "no_such_module" not in said["stderr"]
