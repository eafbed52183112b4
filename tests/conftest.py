"""Shared test fixtures: an isolated PLANTRACK_HOME, the real catalog, one Prefect harness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from plantrack.catalog import Catalog, catalog_from_settings
from plantrack.settings import Settings, configure_prefect, load_settings

REPO = Path(__file__).resolve().parents[1]
PLAN_2021 = REPO / "expectations" / "plans" / "2021"  # the built-in plan the demo uses
SEED_PLAN = PLAN_2021 / "plan.txt"  # the 2021 plan as published
SUITES_2021 = PLAN_2021 / "suites"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Prefect and GX must never try to reach the network from tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh PLANTRACK_HOME for one test."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("PLANTRACK_HOME", str(path))
    return path


@pytest.fixture
def settings(home) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real, reviewed 2021 catalog (read only: do not mutate)."""
    return catalog_from_settings(load_settings({}))


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that records what it accepts."""
    from aiosmtpd.controller import Controller

    from tests.smtp_support import RecordingHandler, free_port

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One Prefect test harness for the whole session (its server takes seconds to start)."""
    prefect_home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(prefect_home)
    configure_prefect(load_settings({"PLANTRACK_HOME": str(prefect_home)}))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
