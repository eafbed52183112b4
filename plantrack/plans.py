"""Plans per year: where each year's reviewed plan lives, whether it is ready, which one a quarter uses.

A plan is a folder named by its year holding the reviewed data of one 工作要点:
``catalog.toml``, ``units.toml``, ``allocation.csv``, ``baselines.csv``, the plan text
``plan.txt`` and the expectation suites generated from it (``suites/``). Plans live in
one plans directory (``Settings.plans``, default ``$PLANTRACK_HOME/plans``); the plans
that ship with the project (``expectations/plans/``) are found too, and a plan in the
plans directory wins over a built-in one of the same year.

The year of a quarter picks its plan. A plan is *ready* when ``check_plan``
(``plantrack.plan_check``) finds no error (drafts not reviewed, missing targets, unknown
units, allocations that do not add up); only a ready plan is run, templated or reported
on. See docs/plans.md.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from plantrack.catalog import Catalog, CatalogError, load_catalog

# PlanCheck and PlanProblem (check_plan's result) stay importable from here
from plantrack.plan_check import PlanCheck, PlanProblem, check_plan  # noqa: F401
from plantrack.settings import PLANS_DIR, Settings


class PlanError(ValueError):
    """No usable plan for a year; the message (Chinese) says what to do."""


@dataclass(frozen=True)
class Plan:
    year: int
    folder: Path
    builtin: bool = False

    @property
    def catalog_path(self) -> Path:
        return self.folder / "catalog.toml"

    @property
    def units_path(self) -> Path:
        return self.folder / "units.toml"

    @property
    def allocation_path(self) -> Path:
        return self.folder / "allocation.csv"

    @property
    def baselines_path(self) -> Path:
        return self.folder / "baselines.csv"

    @property
    def text_path(self) -> Path:
        return self.folder / "plan.txt"

    @property
    def suites_dir(self) -> Path:
        return self.folder / "suites"

    @property
    def quarters(self) -> list[str]:
        return [f"{self.year}Q{n}" for n in (1, 2, 3, 4)]

    def load_targets(self) -> Catalog:
        """The catalog without its allocation (for drafting the allocation workbook)."""
        return load_catalog(self.catalog_path, self.units_path, None, self.baselines_path)

    def load(self) -> Catalog:
        """The plan's catalog with its allocation and baselines (CatalogError if it contradicts itself)."""
        return load_catalog(self.catalog_path, self.units_path, self.allocation_path, self.baselines_path)

    @cached_property
    def catalog(self) -> Catalog:
        return self.load()


# -- finding plans ---------------------------------------------------------------


def _plans_in(directory: Path, builtin: bool) -> dict[int, Plan]:
    found: dict[int, Plan] = {}
    if not directory.is_dir():
        return found
    for sub in sorted(directory.iterdir()):
        if sub.is_dir() and sub.name.isdigit() and len(sub.name) == 4 and (sub / "catalog.toml").is_file():
            found[int(sub.name)] = Plan(int(sub.name), sub, builtin)
    return found


def builtin_plans() -> dict[int, Plan]:
    """The plans that ship with the project (the demo runs on the oldest)."""
    return _plans_in(PLANS_DIR, builtin=True)


def known_plans(settings: Settings) -> dict[int, Plan]:
    """Every plan by year, oldest first: the plans directory's, else the built-in one."""
    plans = builtin_plans()
    if settings.plans.resolve() != PLANS_DIR.resolve():
        plans.update(_plans_in(settings.plans, builtin=False))
    return dict(sorted(plans.items()))


def plan_for_year(settings: Settings, year: int) -> Plan:
    """The year's plan, ready or not; PlanError when there is none."""
    plan = known_plans(settings).get(year)
    if plan is None:
        raise PlanError(_no_plan_message(settings, year))
    return plan


def new_plan_folder(settings: Settings, year: int) -> Path:
    """Where ``plan init`` writes a year's plan."""
    return settings.plans / str(year)


def _no_plan_message(settings: Settings, year: int) -> str:
    have = "、".join(f"{y}年" for y in known_plans(settings)) or "（无）"
    return (
        f"没有{year}年的计划（已有计划：{have}）。请先用 plantrack plan init 计划文本.txt "
        f"--year {year} 建立{year}年的计划，审核通过后再运行（见 docs/plans.md）。"
    )


def ready_plan(settings: Settings, year: int) -> Plan:
    """The year's plan when ``plan check`` passes it; PlanError saying why not otherwise."""
    plan = plan_for_year(settings, year)
    result = check_plan(plan)
    if result.errors:
        listed = "\n".join(f"- {p.message}" for p in result.errors[:20])
        more = f"\n……共 {len(result.errors)} 个问题" if len(result.errors) > 20 else ""
        raise PlanError(
            f"{year}年的计划尚未就绪（plantrack plan check --year {year} 列出全部问题）：\n{listed}{more}"
        )
    ensure_suites(plan, result.catalog)
    return plan


def catalog_for_quarter(settings: Settings, quarter) -> Catalog:
    """The catalog of the ready plan of the quarter's year."""
    return ready_plan(settings, quarter.year).catalog


def previous_catalog(settings: Settings, year: int) -> Catalog | None:
    """Last year's catalog when its plan loads (for indicators that carry on), else None."""
    plan = known_plans(settings).get(year - 1)
    if plan is None:
        return None
    try:
        return plan.catalog
    except (CatalogError, OSError, KeyError, TypeError, ValueError):
        return None


def default_plan(settings: Settings) -> Plan:
    """The newest ready plan (for callers that have no quarter, e.g. ``plantrack check``
    on a file that names none)."""
    plans = known_plans(settings)
    for year in sorted(plans, reverse=True):
        if not check_plan(plans[year]).errors:
            return plans[year]
    raise PlanError(
        "没有已就绪的计划。请先用 plantrack plan init 计划文本.txt --year 年份 建立计划（见 docs/plans.md）。"
    )


# -- expectation suites ---------------------------------------------------------


def ensure_suites(plan: Plan, catalog: Catalog | None = None) -> list[Path]:
    """Generate the plan's expectation suites when they are missing or out of date
    (the built-in plans' suites are committed and checked by tests/test_suites.py)."""
    from plantrack.validate.suites import generate_suites, write_suites

    if plan.builtin:
        return []
    catalog = catalog or plan.catalog
    files = generate_suites(catalog)
    current = {p.name: p.read_text(encoding="utf-8") for p in plan.suites_dir.glob("*.json")}
    if current == files:
        return []
    return write_suites(catalog, plan.suites_dir)


# -- drafting and reviewing ----------------------------------------------------------


def init_plan(settings: Settings, text_path: Path, year: int, units_path: Path | None) -> Plan:
    """Draft the year's plan from its text into the plans directory (plan.txt, units.toml,
    catalog.toml). Units come from ``units_path`` or the latest earlier plan."""
    from plantrack.catalog import load_units
    from plantrack.extract import read_plan_text
    from plantrack.extract.catalog_file import draft_catalog_toml

    folder = new_plan_folder(settings, year)
    if (folder / "catalog.toml").exists():
        raise PlanError(f"{folder} 中已有{year}年的计划。如要重新起草，请先移走该文件夹。")
    if units_path is None:  # the units of the latest earlier plan (a year may be skipped)
        earlier = [p for y, p in sorted(known_plans(settings).items()) if y < year and p.units_path.is_file()]
        if not earlier:
            raise PlanError(
                f"没有{year}年以前的计划可以沿用填报单位：请用 --units 指定填报单位文件"
                "（格式见 docs/plans.md）。"
            )
        units_path = earlier[-1].units_path
    try:
        units, _groups = load_units(units_path)
    except CatalogError as exc:
        raise PlanError(str(exc)) from exc
    if not units:
        raise PlanError(f"{units_path} 中没有任何填报单位（[[unit]]）。")
    text = read_plan_text(text_path)
    draft = draft_catalog_toml(text, year, list(units.values()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.txt").write_text(text, encoding="utf-8")
    shutil.copyfile(units_path, folder / "units.toml")
    (folder / "catalog.toml").write_text(draft, encoding="utf-8")
    return Plan(year, folder)


_BLOCK = re.compile(r"^\[\[(indicator|milestone)\]\]\s*$", re.M)
_REVIEW_LINE = re.compile(r"^review(?:_reason)?\s*=.*\n?", re.M)
_ID_LINE = re.compile(r'^id\s*=\s*"([^"]*)"', re.M)


def approve(plan: Plan, ids: list[str] | None) -> list[str]:
    """Mark draft entries reviewed (``ids`` None: every draft); return the ids approved.
    The catalog's text is edited in place, so comments and hand edits stay."""
    if plan.builtin:
        raise PlanError(f"{plan.year}年的计划是内置示例，不能修改。")
    text = plan.catalog_path.read_text(encoding="utf-8")
    starts = [m.start() for m in _BLOCK.finditer(text)]
    pieces = [text[: starts[0] if starts else len(text)]]
    approved, known = [], set()
    for n, start in enumerate(starts):
        block = text[start : starts[n + 1] if n + 1 < len(starts) else len(text)]
        found = _ID_LINE.search(block)
        eid = found.group(1) if found else ""
        known.add(eid)
        if re.search(r'^review\s*=\s*"draft"', block, re.M) and (ids is None or eid in ids):
            block = _REVIEW_LINE.sub("", block)
            approved.append(eid)
        pieces.append(block)
    unknown = [i for i in ids or [] if i not in known]
    if unknown:
        raise PlanError(f"{plan.year}年的计划中没有这些编号：{'、'.join(unknown)}")
    plan.catalog_path.write_text("".join(pieces), encoding="utf-8")
    return approved
