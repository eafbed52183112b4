from pathlib import Path

from plantrack.settings import PROJECT_ROOT, load_settings


def test_default_home_is_inside_the_checkout():
    s = load_settings({})
    assert s.home == PROJECT_ROOT / "var"
    assert s.warehouse_path == PROJECT_ROOT / "var" / "warehouse" / "plantrack.duckdb"


def test_home_and_toml_file_and_env_overrides(tmp_path: Path):
    (tmp_path / "plantrack.toml").write_text(
        "[status]\nbehind = 0.9\nsevere_behind_ignored = 1\n"
        '[smtp]\nhost = "mail.example"\nleadership = ["boss@example"]\n'
        '[smtp.units]\nhuancui = ["a@example"]\n',
        encoding="utf-8",
    )
    s = load_settings({"PLANTRACK_HOME": str(tmp_path), "PLANTRACK_SMTP_PORT": "2525"})
    assert s.home == tmp_path
    assert s.inbox == tmp_path / "inbox"
    assert s.thresholds.behind == 0.9
    assert s.thresholds.severely_behind == 0.5
    assert s.smtp.enabled and s.smtp.port == 2525
    assert s.smtp.unit_recipients == {"huancui": ("a@example",)}


def test_locations_from_the_toml_file_and_the_environment(tmp_path: Path):
    (tmp_path / "plantrack.toml").write_text(
        f'[paths]\ninbox = "{tmp_path / "drop"}"\nwarehouse = "{tmp_path / "db" / "w.duckdb"}"\n',
        encoding="utf-8",
    )
    s = load_settings({"PLANTRACK_HOME": str(tmp_path), "PLANTRACK_OUT": str(tmp_path / "pub")})
    assert s.inbox == tmp_path / "drop"
    assert s.quarter_inbox("2021Q2") == tmp_path / "drop" / "2021Q2"
    assert s.warehouse_path == tmp_path / "db" / "w.duckdb"
    assert s.out == tmp_path / "pub"
    assert s.archive == tmp_path / "archive"  # not set: the default under PLANTRACK_HOME


def test_smtps_defaults_to_port_465_and_never_also_starttls(tmp_path: Path):
    (tmp_path / "plantrack.toml").write_text(
        '[smtp]\nhost = "mail.example"\nuse_ssl = true\nuse_tls = true\n', encoding="utf-8"
    )
    s = load_settings({"PLANTRACK_HOME": str(tmp_path)})
    assert s.smtp.use_ssl and not s.smtp.use_tls and s.smtp.port == 465
    (tmp_path / "plantrack.toml").write_text(
        '[smtp]\nhost = "mail.example"\nuse_tls = true\n', encoding="utf-8"
    )
    s = load_settings({"PLANTRACK_HOME": str(tmp_path)})
    assert s.smtp.use_tls and not s.smtp.use_ssl and s.smtp.port == 25
