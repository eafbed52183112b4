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
import re
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
        return _machine_cache() / "fonts"

    @property
    def prefect_db_cache(self) -> Path:
        """Where the machine's migrated Prefect database is kept (``plantrack.prefect_db``)."""
        override = os.environ.get("PLANTRACK_PREFECT_DB_CACHE")
        return Path(override) if override else _machine_cache() / "prefect"

    @property
    def timezone(self) -> str:
        """The bureau's zone: receipt times, deadlines and schedules ([schedule] timezone)."""
        return self.schedule.timezone

    def quarter_inbox(self, quarter: str) -> Path:
        return self.inbox / quarter

    def run_inbox(self, quarter: str, inbox: str | Path | None = None) -> Path:
        """The folder a quarterly run reads: ``inbox`` when given (absolute), else the
        quarter's own. The flow and ``run``'s look at the cache ahead both ask here."""
        return Path(inbox).resolve() if inbox else self.quarter_inbox(quarter)

    def quarter_out(self, quarter: str) -> Path:
        return self.out / quarter


class SettingsError(ValueError):
    """A setting plantrack cannot use: which file and key, what was found, what is expected
    (Chinese, for the operator; the CLI prints it without a traceback)."""

    def __init__(self, source: Path | str, key: str, found: object, expected: str):
        self.source, self.key, self.found, self.expected = str(source), key, found, expected
        super().__init__(f"配置有误：{source} 中的 {key} 为“{found}”，应为{expected}")


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            path, "（整个文件）", f"无法解析：{exc}", "合法的 TOML 格式（检查引号、括号和等号，如 port = 25）"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(path, "（整个文件）", f"无法读取：{exc}", "可读取的 UTF-8 文本文件") from exc


def _number(source, key: str, value, kind=float, expected: str = "一个数字"):
    """``value`` as ``kind``, or a SettingsError naming ``key`` and what it should be."""
    if isinstance(value, bool):
        raise SettingsError(source, key, value, expected)
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(source, key, value, expected) from exc


CRON_FIELDS = (("分", 0, 59), ("时", 0, 23), ("日", 1, 31), ("月", 1, 12), ("星期", 0, 7))
_CRON_NAMES = {
    **{
        m: i
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
        )
    },
    **{d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_CRON_PART = re.compile(r"^(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


def cron_problem(text: object) -> str | None:
    """Why ``text`` is not a five-field cron expression (分 时 日 月 星期), or None."""
    fields = str(text).split() if isinstance(text, str) else []
    if len(fields) != len(CRON_FIELDS):
        return "应有 5 个以空格分隔的字段（分 时 日 月 星期）"
    for value, (name, low, high) in zip(fields, CRON_FIELDS, strict=True):
        for part in value.split(","):
            m = _CRON_PART.match(part.lower())
            if not m or (m.group(4) is not None and int(m.group(4)) == 0):
                return f"“{name}”字段“{value}”写法不对"
            for bound in (m.group(2), m.group(3)):
                if bound is None:
                    continue
                number = _CRON_NAMES.get(bound) if not bound.isdigit() else int(bound)
                if number is None or not low <= number <= high:
                    return f"“{name}”字段“{value}”超出 {low}–{high}"
    return None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment and the optional TOML file."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("PLANTRACK_HOME") or default_home()).expanduser().resolve()
    config_path = Path(env.get("PLANTRACK_CONFIG") or home / "plantrack.toml")
    data = _read_toml(config_path)

    status = data.get("status", {})
    thresholds = Thresholds(
        **{
            key: _number(config_path, f"[status] {key}", status.get(key, getattr(Thresholds, key)))
            for key in ("behind", "severely_behind", "approx_tolerance")
        }
    )
    lock_wait = env.get("PLANTRACK_LOCK_WAIT_SECONDS") or data.get("warehouse", {}).get(
        "lock_wait_seconds", 600
    )
    return Settings(
        home=home,
        thresholds=thresholds,
        smtp=_smtp(data.get("smtp", {}), env, config_path),
        schedule=_schedule(data.get("schedule", {}), config_path),
        lock_wait_seconds=_number(config_path, "[warehouse] lock_wait_seconds", lock_wait),
        **_locations(data.get("paths", {}), env),
    )


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


def _smtp(data: dict, env: dict[str, str], source: Path | str = "plantrack.toml") -> Smtp:
    """[smtp] in the TOML file; PLANTRACK_SMTP_HOST/PORT/USER/PASSWORD override it."""
    use_ssl = bool(data.get("use_ssl", False))
    port_from = (
        ("环境变量", "PLANTRACK_SMTP_PORT") if "PLANTRACK_SMTP_PORT" in env else (source, "[smtp] port")
    )
    port = _number(
        *port_from,
        env.get("PLANTRACK_SMTP_PORT", data.get("port", 465 if use_ssl else 25)),
        int,
        "1–65535 之间的整数端口号（如 25、465、587）",
    )
    if not 0 < port < 65536:
        raise SettingsError(*port_from, port, "1–65535 之间的整数端口号（如 25、465、587）")
    return Smtp(
        host=env.get("PLANTRACK_SMTP_HOST", data.get("host", "")),
        port=port,
        username=env.get("PLANTRACK_SMTP_USER", data.get("username", "")),
        password=env.get("PLANTRACK_SMTP_PASSWORD", data.get("password", "")),
        use_tls=bool(data.get("use_tls", False)) and not use_ssl,
        use_ssl=use_ssl,
        sender=data.get("sender", Smtp.sender),
        leadership=tuple(data.get("leadership", ())),
        unit_recipients={k: tuple(v) for k, v in data.get("units", {}).items()},
    )


def _schedule(data: dict, source: Path | str = "plantrack.toml") -> Schedule:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = data.get("timezone", Schedule.timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise SettingsError(source, "[schedule] timezone", zone, "IANA 时区名称，如 Asia/Shanghai") from exc
    for key in ("quarterly_cron", "reminder_cron"):
        if key in data and (problem := cron_problem(data[key])):
            raise SettingsError(
                source,
                f"[schedule] {key}",
                data[key],
                f"cron 表达式“分 时 日 月 星期”，如 0 6 10 1,4,7,10 *（{problem}）",
            )
    return Schedule(
        quarterly_cron=data.get("quarterly_cron", Schedule.quarterly_cron),
        reminder_cron=data.get("reminder_cron", Schedule.reminder_cron),
        timezone=data.get("timezone", Schedule.timezone),
    )


def _machine_cache() -> Path:
    """What every PLANTRACK_HOME on the machine shares: built once, by bootstrap."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "plantrack"


def configure_prefect(settings: Settings) -> None:
    """Point Prefect at this home's own local state, before Prefect is imported.

    With no ``PREFECT_API_URL`` Prefect runs in its embedded mode: a temporary
    local API server for the run, no server to start by hand. A home without a Prefect
    database yet gets a copy of the machine's migrated one (``plantrack.prefect_db``).
    """
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from plantrack.prefect_db import seed

    seed(Path(os.environ["PREFECT_HOME"]), settings.prefect_db_cache)
