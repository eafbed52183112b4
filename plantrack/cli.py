"""The ``plantrack`` command: parse arguments, call the library, print results.

Each subcommand lives in its own module under ``plantrack/commands`` with a
``register(subparsers)`` function and an ``ORDER`` number for the help listing;
this module discovers them. Known failures (bad input, a broken catalog, a
missing font) become a clear message and an exit code, never a traceback. With
``--json`` a command prints one JSON document on standard output and nothing
else there; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import gc
import importlib
import json
import os
import pkgutil
import sys

from plantrack import commands

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


class CliError(Exception):
    """A user-facing failure: printed without a traceback."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def load_plan(settings, quarter=None):
    """The ready plan of the quarter's year (no quarter: the newest ready plan); a CliError
    saying why when there is none or ``plan check`` does not pass it."""
    from plantrack.catalog import CatalogError
    from plantrack.plans import PlanError, default_plan, ready_plan

    try:
        return default_plan(settings) if quarter is None else ready_plan(settings, quarter.year)
    except (PlanError, CatalogError) as exc:
        raise CliError(str(exc)) from exc


def load_catalog(settings, quarter=None):
    """The catalog of the quarter's plan (see ``load_plan``)."""
    return load_plan(settings, quarter).catalog


def parse_quarter_arg(text: str):
    from plantrack.periods import parse_quarter

    try:
        return parse_quarter(text)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def command_modules() -> list:
    mods = [
        importlib.import_module(f"plantrack.commands.{m.name}")
        for m in pkgutil.iter_modules(commands.__path__)
        if not m.name.startswith("_")
    ]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plantrack",
        description="按季度跟踪年度工作要点（计划）的落实情况：收集各单位填报表、校验、入库、生成简报。"
        "每个季度按其所在年度的计划核对（plantrack plan list 列出已有计划）。",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in command_modules():
        module.register(sub)
    return parser


# Arguments that name a file or folder: resolved against the current directory here, at
# the edge, so that a relative --out works everywhere below (GX Data Docs, the flow).
PATH_ARGUMENTS = ("file", "plan", "inbox", "out", "read", "units")


def resolve_path_arguments(args: argparse.Namespace) -> argparse.Namespace:
    from pathlib import Path

    for name in PATH_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            setattr(args, name, str(Path(value).expanduser().resolve()))
    return args


def known_failure(exc: BaseException) -> str | None:
    """The message for a failure that is the operator's to fix (a setting, a damaged
    warehouse), or None for a bug, which keeps its traceback."""
    from plantrack.settings import SettingsError

    if isinstance(exc, SettingsError):
        return str(exc)
    if type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        return (
            f"数据仓库读写出错：{exc}\n数据仓库文件可能已损坏或被截断：请从备份恢复，"
            "或将其移走后重新运行季度流程（报送原件都在归档中，可重新导入）。"
        )
    return None


@functools.cache
def _freeze_at_exit() -> None:
    """Make freezing the collector the interpreter's last step (once per process): with Great
    Expectations, Prefect and WeasyPrint loaded (some 400,000 objects), its final
    collections took 2 s after every run, check or demo. Frozen, they are skipped (0.15 s);
    what has to be closed, each command closed itself, and every atexit handler registered
    later runs before this one."""
    atexit.register(gc.freeze)


def main(argv: list[str] | None = None) -> int:
    _freeze_at_exit()
    parser = build_parser()
    args = resolve_path_arguments(parser.parse_args(argv))
    try:
        return args.func(args)
    except CliError as exc:
        print(f"plantrack: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # output piped into head or less, which closed early
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:
        if (message := known_failure(exc)) is None:
            raise
        print(f"plantrack: {message}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("plantrack: 已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
