"""Whether a year's plan is ready: every problem ``plan check`` lists for it.

Errors block a run (drafts not reviewed, missing targets, unknown units, allocations
that do not add up); warnings do not (a stock or relative target without a start level
shows 缺少基数). The plan itself is found by ``plantrack.plans``; see docs/plans.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plantrack.catalog import Catalog, CatalogError, load_catalog

if TYPE_CHECKING:
    from plantrack.plans import Plan

DRAFT = "draft"


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
    title: str = ""  # as catalog.toml gives it, also for a draft that does not load yet

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
    result.title = data["title"] if isinstance(data.get("title"), str) else ""
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
