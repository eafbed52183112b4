"""Settings in one place: a TOML file plus environment variables.

Everything plantrack writes lives under one folder, ``PLANTRACK_HOME``. Its
default is ``var/`` inside the project checkout, so a trial run, a test and a
second deployment can each point at their own folder.

Precedence (highest first): environment variables, ``$PLANTRACK_HOME/plantrack.toml``
(or the file named by ``PLANTRACK_CONFIG``), built-in defaults. The file's sections:
``[paths]`` (inbox, archive, warehouse, out, plans), ``[status]`` (behind, severely_behind,
approx_tolerance), ``[smtp]`` and ``[smtp.units]``, ``[schedule]`` (crons and the bureau's
timezone), ``[warehouse]`` (lock_wait_seconds). The plans (one per year, see
``plantrack.plans``) live in the plans directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from plantrack.periods import BUREAU_TIMEZONE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
PLANS_DIR = EXPECTATIONS_DIR / "plans"  # the plans that ship with the project
REPORT_TEMPLATES_DIR = PROJECT_ROOT / "report_templates"
WAREHOUSE_SQL_DIR = PROJECT_ROOT / "warehouse" / "schema"
TRANSFORMS_SQL_DIR = PROJECT_ROOT / "transforms" / "sql"


def default_home() -> Path:
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "var"
    return Path.home() / ".local" / "share" / "plantrack"


@dataclass(frozen=True)
class Thresholds:
    """Status thresholds, as a fraction of the expected-to-date progress."""

    behind: float = 1.0  # below this share of expected-to-date: 滞后
    severely_behind: float = 0.5  # below this share: 严重滞后
    approx_tolerance: float = 0.05  # 左右: within ±5% of the target counts as met


@dataclass(frozen=True)
class Smtp:
    """Outgoing mail. Disabled unless a host is configured."""

    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS on a plain connection (usually port 587 or 25)
    use_ssl: bool = False  # implicit TLS from the first byte, SMTPS (usually port 465)
    sender: str = "plantrack@localhost"
    leadership: tuple[str, ...] = ()  # receives the city brief
    unit_recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)  # unit → stewards

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Schedule:
    """When the unattended runs happen (cron, in ``timezone``)."""

    quarterly_cron: str = "0 6 10 1,4,7,10 *"  # 06:00 on the 10th day after each quarter ends
    reminder_cron: str = "0 9 5 1,4,7,10 *"  # 09:00, five days before the run
    timezone: str = BUREAU_TIMEZONE


@dataclass(frozen=True)
class Settings:
    home: Path
    thresholds: Thresholds = field(default_factory=Thresholds)
    smtp: Smtp = field(default_factory=Smtp)
    schedule: Schedule = field(default_factory=Schedule)
    lock_wait_seconds: float = 600.0  # how long a second run waits for the first to release the warehouse
    # Explicit locations; None means the default under ``home``.
    inbox_dir: Path | None = None
    archive_dir: Path | None = None
    warehouse_file: Path | None = None
    out_dir: Path | None = None
    plans_dir: Path | None = None

    @property
    def plans(self) -> Path:
        """One folder per year's plan (see plantrack.plans); the built-in plans are found too."""
        return self.plans_dir or self.home / "plans"

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.archive_dir or self.home / "archive"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_file or self.home / "warehouse" / "plantrack.duckdb"

    @property
    def out(self) -> Path:
        return self.out_dir or self.home / "out"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def font_cache(self) -> Path:
        """Subset fonts are shared by every PLANTRACK_HOME on the machine (built once)."""
        override = os.environ.get("PLANTRACK_FONT_CACHE")
        if override:
            return Path(override)
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(xdg) / "plantrack" / "fonts"

    @property
    def timezone(self) -> str:
        """The bureau's zone: receipt times, deadlines and schedules ([schedule] timezone)."""
        return self.schedule.timezone

    def quarter_inbox(self, quarter: str) -> Path:
        return self.inbox / quarter

    def quarter_out(self, quarter: str) -> Path:
        return self.out / quarter


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment and the optional TOML file."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("PLANTRACK_HOME") or default_home()).expanduser().resolve()
    config_path = Path(env.get("PLANTRACK_CONFIG") or home / "plantrack.toml")
    data = _read_toml(config_path)

    status = data.get("status", {})
    thresholds = Thresholds(
        behind=float(status.get("behind", Thresholds.behind)),
        severely_behind=float(status.get("severely_behind", Thresholds.severely_behind)),
        approx_tolerance=float(status.get("approx_tolerance", Thresholds.approx_tolerance)),
    )
    return Settings(home=home, thresholds=thresholds, smtp=_smtp(data.get("smtp", {}), env),
                    schedule=_schedule(data.get("schedule", {})),
                    lock_wait_seconds=float(env.get("PLANTRACK_LOCK_WAIT_SECONDS")
                                            or data.get("warehouse", {}).get("lock_wait_seconds", 600)),
                    **_locations(data.get("paths", {}), env))


_LOCATIONS = {  # Settings field: ([paths] key in the TOML file, environment variable)
    "inbox_dir": ("inbox", "PLANTRACK_INBOX"),
    "archive_dir": ("archive", "PLANTRACK_ARCHIVE"),
    "warehouse_file": ("warehouse", "PLANTRACK_WAREHOUSE"),
    "out_dir": ("out", "PLANTRACK_OUT"),
    "plans_dir": ("plans", "PLANTRACK_PLANS"),
}


def _locations(data: dict, env: dict[str, str]) -> dict[str, Path]:
    """[paths] inbox/archive/warehouse/out/plans, overridden by PLANTRACK_INBOX … variables."""
    found = {}
    for field_name, (key, var) in _LOCATIONS.items():
        value = env.get(var) or data.get(key)
        if value:
            found[field_name] = Path(value).expanduser().resolve()
    return found


def _smtp(data: dict, env: dict[str, str]) -> Smtp:
    """[smtp] in the TOML file; PLANTRACK_SMTP_HOST/PORT/USER/PASSWORD override it."""
    use_ssl = bool(data.get("use_ssl", False))
    return Smtp(
        host=env.get("PLANTRACK_SMTP_HOST", data.get("host", "")),
        port=int(env.get("PLANTRACK_SMTP_PORT", data.get("port", 465 if use_ssl else 25))),
        username=env.get("PLANTRACK_SMTP_USER", data.get("username", "")),
        password=env.get("PLANTRACK_SMTP_PASSWORD", data.get("password", "")),
        use_tls=bool(data.get("use_tls", False)) and not use_ssl,
        use_ssl=use_ssl,
        sender=data.get("sender", Smtp.sender),
        leadership=tuple(data.get("leadership", ())),
        unit_recipients={k: tuple(v) for k, v in data.get("units", {}).items()},
    )


def _schedule(data: dict) -> Schedule:
    return Schedule(
        quarterly_cron=data.get("quarterly_cron", Schedule.quarterly_cron),
        reminder_cron=data.get("reminder_cron", Schedule.reminder_cron),
        timezone=data.get("timezone", Schedule.timezone),
    )


def configure_prefect(settings: Settings) -> None:
    """Point Prefect at this home's own local state, before Prefect is imported.

    With no ``PREFECT_API_URL`` Prefect runs in its embedded mode: a temporary
    local API server for the run, no server to start by hand.
    """
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
