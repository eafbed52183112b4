"""Plans per year: where each year's reviewed plan lives, whether it is ready, which one a quarter uses.

A plan is a folder named by its year holding the reviewed data of one 工作要点:
``catalog.toml``, ``units.toml``, ``allocation.csv``, ``baselines.csv``, the plan text
``plan.txt`` and the expectation suites generated from it (``suites/``). Plans live in
one plans directory (``Settings.plans``, default ``$PLANTRACK_HOME/plans``); the plans
that ship with the project (``expectations/plans/``) are found too, and a plan in the
plans directory wins over a built-in one of the same year.

The year of a quarter picks its plan. A plan is *ready* when ``check_plan`` finds no
error (drafts not reviewed, missing targets, unknown units, allocations that do not add
up); only a ready plan is run, templated or reported on. See docs/plans.md.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from plantrack.catalog import Catalog, CatalogError, load_catalog
from plantrack.settings import PLANS_DIR, Settings

DRAFT = "draft"


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


# -- checking a plan -------------------------------------------------------------


@dataclass(frozen=True)
class PlanProblem:
    severity: str  # "error" blocks a run; "warning" does not
    code: str
    message: str
    entry_id: str = ""

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "entry_id": self.entry_id or None,
            "message": self.message,
        }


@dataclass
class PlanCheck:
    plan: Plan
    problems: list[PlanProblem] = field(default_factory=list)
    catalog: Catalog | None = None
    drafts: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[PlanProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[PlanProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def state(self) -> str:
        return "draft" if self.errors else "ready"

    def to_dict(self) -> dict:
        return {
            "year": self.plan.year,
            "folder": str(self.plan.folder),
            "state": self.state,
            "ready": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "drafts": self.drafts,
            "problems": [p.to_dict() for p in self.problems],
        }


def _label(raw: dict) -> str:
    return f"{raw.get('id', '?')}（{raw.get('name') or raw.get('text', '')[:20]}）"


def _entry_problems(data: dict) -> tuple[list[PlanProblem], list[str], set[str]]:
    """Drafts and missing essentials, read from the TOML before the catalog is loaded."""
    problems: list[PlanProblem] = []
    drafts: list[str] = []
    incomplete: set[str] = set()
    for kind, raws in (("指标", data.get("indicator", [])), ("任务", data.get("milestone", []))):
        for raw in raws:
            eid = str(raw.get("id", "?"))
            if raw.get("review") == DRAFT:
                drafts.append(eid)
                reason = raw.get("review_reason") or "提取结果须对照原文核对"
                problems.append(
                    PlanProblem("error", "draft", f"{kind} {_label(raw)} 尚未审核：{reason}", eid)
                )
            if not raw.get("units"):
                problems.append(PlanProblem("error", "no_units", f"{kind} {_label(raw)} 没有填报单位", eid))
            if kind != "指标":
                continue
            if not raw.get("unit"):
                incomplete.add(eid)
                problems.append(
                    PlanProblem("error", "no_unit_of_measure", f"指标 {_label(raw)} 没有计量单位", eid)
                )
            if raw.get("target") is None:
                incomplete.add(eid)
                problems.append(PlanProblem("error", "no_target", f"指标 {_label(raw)} 没有目标值", eid))
    return problems, drafts, incomplete


def _catalog_problem(message: str) -> PlanProblem:
    code = "catalog"
    if message.startswith("编号重复"):
        code = "duplicate_id"
    elif "未知的填报单位" in message or "未知填报单位" in message:
        code = "unknown_unit"
    elif "目标之和" in message or "没有分解" in message:
        code = "allocation"
    return PlanProblem("error", code, message)


def _baseline_warnings(cat: Catalog) -> list[PlanProblem]:
    """A stock or a relative target with no start level stays 缺少基数 until one is given."""
    out = []
    for ind in cat.indicators:
        if not (ind.cumulative or ind.is_relative):
            continue
        if cat.baseline(ind.id) is not None:
            continue
        if ind.additive and ind.units and all(cat.baseline(ind.id, u) for u in ind.units):
            continue
        what = "相对目标" if ind.is_relative else "存量指标"
        out.append(
            PlanProblem(
                "warning",
                "no_baseline",
                f"指标 {ind.id}（{ind.name}）是{what}，缺少年初基数：其状态将显示“缺少基数”，"
                f"直到用 plantrack plan baselines --year {cat.year} 补齐",
                ind.id,
            )
        )
    return out


def check_plan(plan: Plan) -> PlanCheck:
    """Every problem of the plan: errors block a run, warnings do not."""
    result = PlanCheck(plan)
    try:
        with plan.catalog_path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        result.problems.append(PlanProblem("error", "catalog", f"{plan.catalog_path.name} 无法读取：{exc}"))
        return result
    problems, result.drafts, incomplete = _entry_problems(data)
    if int(data.get("year", 0) or 0) != plan.year:
        problems.append(
            PlanProblem(
                "error", "year", f"catalog.toml 的 year = {data.get('year')} 与计划年度 {plan.year} 不符"
            )
        )
    if not plan.units_path.is_file():
        problems.append(
            PlanProblem(
                "error", "no_units_file", "缺少填报单位文件 units.toml（plan init 时用 --units 指定）"
            )
        )
    else:
        try:
            result.catalog = plan.load()
        except CatalogError as exc:
            for message in exc.problems:
                if any(message.startswith(f"指标 {i} 缺少字段") for i in incomplete):
                    continue  # already said: no unit of measure / no target
                problems.append(_catalog_problem(message))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(PlanProblem("error", "catalog", f"catalog.toml 的条目不完整：{exc}"))
    warn_on = result.catalog
    if warn_on is None and plan.units_path.is_file():
        try:  # the allocation may be what is wrong: the start levels can still be checked
            warn_on = load_catalog(plan.catalog_path, plan.units_path, None, plan.baselines_path)
        except (CatalogError, KeyError, TypeError, ValueError):
            warn_on = None
    if warn_on is not None:
        problems += _baseline_warnings(warn_on)
    result.problems = problems
    return result


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
    catalog.toml). Units come from ``units_path`` or last year's plan."""
    from plantrack.catalog import load_units
    from plantrack.extract import read_plan_text
    from plantrack.extract.catalog_file import draft_catalog_toml

    folder = new_plan_folder(settings, year)
    if (folder / "catalog.toml").exists():
        raise PlanError(f"{folder} 中已有{year}年的计划。如要重新起草，请先移走该文件夹。")
    if units_path is None:
        last = known_plans(settings).get(year - 1)
        if last is None or not last.units_path.is_file():
            raise PlanError(
                f"没有{year - 1}年的计划可以沿用填报单位：请用 --units 指定填报单位文件"
                "（格式见 docs/plans.md）。"
            )
        units_path = last.units_path
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
