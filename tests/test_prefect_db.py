"""A new home's Prefect database is a copy of the machine's migrated one (plantrack.prefect_db)."""

from __future__ import annotations

import importlib.metadata
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from plantrack.local_api import LocalApi
from plantrack.prefect_db import DB_NAME, build_template, seed, template_path
from plantrack.settings import configure_prefect, load_settings

PREFECT = importlib.metadata.version("prefect")


@pytest.fixture(autouse=True)
def _prefect_not_pointed_elsewhere(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in list(os.environ):
        if name.startswith(("PREFECT_API_DATABASE_", "PREFECT_SERVER_DATABASE_")):
            monkeypatch.delenv(name)


def _database(path: Path, marker: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db:
        db.execute("create table marker (what text)")
        db.execute("insert into marker values (?)", (marker,))
        db.commit()
    return path


def _marker(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("select what from marker").fetchone()[0]


def test_a_new_home_starts_from_the_machines_database(tmp_path):
    cache = tmp_path / "cache"
    template = _database(cache / f"prefect-{PREFECT}.db", "template")
    assert template_path(cache) == template
    home = tmp_path / "home" / "prefect"
    assert seed(home, cache) is True
    assert (home / DB_NAME).read_bytes() == template.read_bytes()
    assert [p.name for p in home.iterdir()] == [DB_NAME]  # no partial copy left beside it


def test_a_home_with_a_database_keeps_it(tmp_path):
    cache = tmp_path / "cache"
    _database(cache / f"prefect-{PREFECT}.db", "template")
    home = tmp_path / "prefect"
    _database(home / DB_NAME, "the home's own runs")
    assert seed(home, cache) is False
    assert _marker(home / DB_NAME) == "the home's own runs"


def test_no_copy_without_a_database_built_for_the_installed_prefect(tmp_path):
    cache = tmp_path / "cache"
    _database(cache / "prefect-0.0.1.db", "built for another Prefect")
    home = tmp_path / "prefect"
    assert seed(home, cache) is False
    assert not (home / DB_NAME).exists()  # Prefect migrates a new one itself


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"PREFECT_API_URL": "http://prefect.example:4200/api"},
        {"PREFECT_API_DATABASE_CONNECTION_URL": "postgresql+asyncpg://prefect@db/prefect"},
        {"PREFECT_SERVER_DATABASE_HOST": "db.example"},
        "profile",
    ],
)
def test_prefect_pointed_elsewhere_gets_no_copy(tmp_path, monkeypatch, elsewhere):
    cache = tmp_path / "cache"
    _database(cache / f"prefect-{PREFECT}.db", "template")
    home = tmp_path / "prefect"
    if elsewhere == "profile":
        home.mkdir()
        (home / "profiles.toml").write_text('active = "ops"\n[profiles.ops]\n', encoding="utf-8")
    else:
        for name, value in elsewhere.items():
            monkeypatch.setenv(name, value)
    assert seed(home, cache) is False
    assert not (home / DB_NAME).exists()


def test_configuring_prefect_for_a_new_home_gives_it_the_copy(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    _database(cache / f"prefect-{PREFECT}.db", "template")
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.setenv("PLANTRACK_PREFECT_DB_CACHE", str(cache))
    settings = load_settings({"PLANTRACK_HOME": str(tmp_path / "home")})
    configure_prefect(settings)
    assert _marker(settings.prefect_home / DB_NAME) == "template"


@pytest.mark.flow
def test_the_machines_database_is_prefects_own_and_a_home_copied_from_it_serves(tmp_path):
    cache = tmp_path / "cache"
    template = build_template(cache)
    assert template == template_path(cache)
    with closing(sqlite3.connect(template)) as db:
        (revision,) = db.execute("select version_num from alembic_version").fetchone()
        block_types = db.execute("select count(*) from block_type").fetchone()[0]
    assert revision and block_types > 0  # migrated, and Prefect's blocks registered
    built = template.stat().st_mtime_ns
    assert build_template(cache) == template and template.stat().st_mtime_ns == built  # once

    home = tmp_path / "home"
    assert seed(home, cache) is True
    server = LocalApi(prefect_home=home)
    assert server.start() is True
    try:
        assert server.wait(120) == server.url
    finally:
        server.stop()
    with closing(sqlite3.connect(home / DB_NAME)) as db:
        assert db.execute("select version_num from alembic_version").fetchall() == [(revision,)]


def test_bootstrap_goes_on_when_the_database_cannot_be_prepared(monkeypatch, capsys):
    from plantrack import prefect_db
    from plantrack.local_api import LocalApiError

    def cannot(cache):
        raise LocalApiError("本地 Prefect 服务在 300 秒内未能启动。")

    monkeypatch.setattr(prefect_db, "build_template", cannot)
    assert prefect_db.main() == 0  # only time is at stake: each new home migrates its own
    assert "not prepared" in capsys.readouterr().err
