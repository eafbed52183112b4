"""A new home's Prefect database starts as a copy of one migrated once per machine.

Prefect's local API server creates its SQLite database on its first start by running
every one of its migrations: 12–14 s on two cores, before the first flow of a new
``PLANTRACK_HOME`` can begin (the first demo on a machine, a new bureau's home, each
test home). ``scripts/bootstrap`` has Prefect's own server build that database once per
machine and Prefect version (its migrations and its block registration, in a home of
its own), and keeps a consistent copy of it. A home without a database starts from that
copy; Prefect's server then starts as on any database of its version: it finds the
migrations at their head and goes on (7–9 s in all instead of 20–22 s).

Nothing is copied when the home has a database already, when no copy was built for the
installed Prefect (an upgrade since bootstrap: Prefect migrates, as it always does), or
when Prefect is pointed elsewhere: another server (``PREFECT_API_URL``), another
database (``PREFECT_*_DATABASE_*``), or a profile in the home.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

from plantrack.atomic import replacing

log = logging.getLogger("plantrack")

DB_NAME = "prefect.db"  # Prefect's default database in its home (settings/models/_defaults.py)
_ELSEWHERE = ("PREFECT_API_DATABASE_", "PREFECT_SERVER_DATABASE_")


def template_path(cache: Path) -> Path:
    """The machine's migrated database for the installed Prefect."""
    return cache / f"prefect-{importlib.metadata.version('prefect')}.db"


def _configured_elsewhere(prefect_home: Path) -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    if any(name.startswith(_ELSEWHERE) for name in os.environ):
        return True
    return (prefect_home / "profiles.toml").exists()


def seed(prefect_home: Path, cache: Path) -> bool:
    """Give ``prefect_home`` the machine's migrated database if it has none; True if copied."""
    target = prefect_home / DB_NAME
    if target.exists() or _configured_elsewhere(prefect_home):
        return False
    try:
        template = template_path(cache)
    except importlib.metadata.PackageNotFoundError:
        return False
    if not template.is_file():
        return False
    prefect_home.mkdir(parents=True, exist_ok=True)
    part = prefect_home / f".{DB_NAME}.{uuid.uuid4().hex[:12]}.part"
    try:
        shutil.copyfile(template, part)
        try:  # never over a database another command created meanwhile
            os.link(part, target)
        except FileExistsError:
            return False
    finally:
        part.unlink(missing_ok=True)
    log.info("Prefect database for %s copied from %s", prefect_home, template)
    return True


def build_template(cache: Path, timeout: float = 300) -> Path | None:
    """Have Prefect's server create and migrate a database in a home of its own, and keep
    a consistent copy of it as the machine's template. None when Prefect is pointed at
    another server or database (nothing local to prepare)."""
    from plantrack.local_api import LocalApi

    template = template_path(cache)
    if template.is_file():
        return template
    with tempfile.TemporaryDirectory(prefix="plantrack-prefect-") as scratch:
        home = Path(scratch)
        if _configured_elsewhere(home):
            return None
        server = LocalApi(prefect_home=home)
        server.start()
        try:
            server.wait(timeout)  # migrations and block registration run before it answers
        finally:
            server.stop()
        # SQLite's backup: the pages in the write-ahead log included, in one file
        with (
            replacing(template) as part,
            closing(sqlite3.connect(home / DB_NAME)) as source,
            closing(sqlite3.connect(part)) as copy,
        ):
            source.backup(copy)
    return template


def main() -> int:
    """scripts/bootstrap, once per machine and Prefect version. A database that cannot be
    prepared costs only time (each new home migrates its own), so bootstrap goes on."""
    import sys

    from plantrack.local_api import LocalApiError
    from plantrack.settings import load_settings

    try:
        built = build_template(load_settings().prefect_db_cache)
    except (LocalApiError, OSError, sqlite3.Error) as exc:
        print(f"Prefect's database was not prepared ({exc}): a new home migrates its own", file=sys.stderr)
        return 0
    print(built or "Prefect is configured elsewhere: no local database to prepare")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
