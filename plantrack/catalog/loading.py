"""Loading the plan catalog from its reviewed files (see docs/catalog.md): ``catalog.toml``,
``units.toml``, ``allocation.csv`` and ``baselines.csv``, cross-checked. A catalog that does
not hold together is refused with every problem listed, not the first one.
"""

from __future__ import annotations

import csv
import tomllib
from collections import defaultdict
from pathlib import Path

from plantrack.catalog.model import QUALIFIERS, Allocation, Baseline, Catalog, Indicator, Milestone, Unit

INDICATOR_KEYS = (
    "id",
    "section",
    "item",
    "subtask",
    "text",
    "name",
    "unit",
    "target",
    "qualifier",
    "cumulative",
    "additive",
    "pacing",
    "units",
)


class CatalogError(ValueError):
    """The catalog files contradict themselves; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("目录数据有误：\n" + "\n".join(f"- {p}" for p in problems))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CatalogError([f"找不到文件 {path}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"{path.name} 格式错误：{exc}"]) from exc


def load_units(path: Path) -> tuple[dict[str, Unit], dict[str, list[str]]]:
    data = _read_toml(path)
    units = {
        u["code"]: Unit(
            code=u["code"], name=u["name"], office=u.get("office", u["name"]), kind=u.get("kind", "district")
        )
        for u in data.get("unit", [])
    }
    groups = {k: list(v) for k, v in data.get("groups", {}).items()}
    return units, groups


def _expand_units(
    names: list[str], units: dict[str, Unit], groups: dict[str, list[str]], where: str, problems: list[str]
) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        members = groups.get(name, [name])
        for code in members:
            if code not in units:
                problems.append(f"{where}：未知的填报单位“{code}”")
            elif code not in out:
                out.append(code)
    return tuple(out)


def _number(value: object) -> float | None:
    if value is None:
        return None
    return float(value)  # type: ignore[arg-type]


def _indicator(raw: dict, units, groups, pacing, problems: list[str]) -> Indicator | None:
    where = f"指标 {raw.get('id', '?')}"
    missing = [k for k in INDICATOR_KEYS if k not in raw]
    if missing:
        problems.append(f"{where} 缺少字段：{', '.join(missing)}")
        return None
    if raw["qualifier"] not in QUALIFIERS:
        problems.append(f"{where}：qualifier“{raw['qualifier']}”不在 {QUALIFIERS} 之中")
    if raw["qualifier"] == "range" and "range_max" not in raw:
        problems.append(f"{where}：区间目标缺少 range_max")
    if raw["pacing"] not in pacing:
        problems.append(f"{where}：未定义的进度曲线“{raw['pacing']}”")
    return Indicator(
        id=raw["id"],
        section=int(raw["section"]),
        item=int(raw["item"]),
        subtask=int(raw["subtask"]),
        text=raw["text"],
        name=raw["name"],
        unit=raw["unit"],
        target=float(raw["target"]),
        qualifier=raw["qualifier"],
        cumulative=bool(raw["cumulative"]),
        additive=bool(raw["additive"]),
        pacing=raw["pacing"],
        units=_expand_units(raw["units"], units, groups, where, problems),
        stretch=_number(raw.get("stretch")),
        range_max=_number(raw.get("range_max")),
        continues=str(raw.get("continues", "")),
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _allocations(path: Path, cat: Catalog, problems: list[str]) -> list[Allocation]:
    by_id = {i.id: i for i in cat.indicators}
    out = []
    for n, row in enumerate(_read_csv(path), start=2):
        where = f"{path.name} 第{n}行"
        ind = by_id.get(row.get("indicator_id", ""))
        if ind is None:
            problems.append(f"{where}：未知指标“{row.get('indicator_id')}”")
            continue
        if row.get("unit") not in cat.units:
            problems.append(f"{where}：未知填报单位“{row.get('unit')}”")
            continue
        if row["unit"] not in ind.units:
            problems.append(f"{where}：{row['unit']} 不是指标 {ind.id} 的填报单位")
        try:
            target = float(row["target"])
            stretch = float(row["stretch"]) if row.get("stretch") else None
        except ValueError:
            problems.append(f"{where}：目标值“{row.get('target')}”不是数字")
            continue
        out.append(Allocation(ind.id, row["unit"], target, stretch, row.get("note", "")))
    _check_allocation_sums(out, cat, problems)
    return out


def _check_allocation_sums(allocs: list[Allocation], cat: Catalog, problems: list[str]) -> None:
    """Each additive indicator's unit targets add up to at least its own. Its 力争 target is
    held to the same only when the bureau split it: a plan whose units were given floors
    alone (as ``plan allocate`` asks) keeps its 力争 target for the whole, where it is
    judged; a unit is judged on its floor."""
    sums: dict[str, float] = defaultdict(float)
    stretch_sums: dict[str, float] = {}
    for a in allocs:
        sums[a.indicator_id] += a.target
        if a.stretch is not None:
            stretch_sums[a.indicator_id] = stretch_sums.get(a.indicator_id, 0.0) + a.stretch
    for ind in cat.indicators:
        if not ind.additive or len(ind.units) <= 1:
            continue
        if ind.id not in sums:
            problems.append(f"指标 {ind.id}（{ind.name}）是可加指标，但没有分解到各单位的目标")
            continue
        if sums[ind.id] + 1e-9 < ind.target:
            problems.append(
                f"指标 {ind.id}（{ind.name}）各单位目标之和 {sums[ind.id]:g} 小于{cat.whole}目标 {ind.target:g}"
            )
        if ind.stretch is not None and ind.id in stretch_sums and stretch_sums[ind.id] + 1e-9 < ind.stretch:
            problems.append(
                f"指标 {ind.id}（{ind.name}）各单位力争目标之和 {stretch_sums[ind.id]:g}"
                f" 小于{cat.whole}力争目标 {ind.stretch:g}"
            )


def _baselines(path: Path, cat: Catalog, problems: list[str]) -> list[Baseline]:
    ids = {i.id for i in cat.indicators}
    out = []
    for n, row in enumerate(_read_csv(path), start=2):
        if row.get("indicator_id") not in ids:
            problems.append(f"{path.name} 第{n}行：未知指标“{row.get('indicator_id')}”")
            continue
        try:
            out.append(
                Baseline(
                    row["indicator_id"],
                    row.get("unit") or "city",
                    float(row["value"]),
                    int(row["year"]),
                    row.get("note", ""),
                )
            )
        except (KeyError, ValueError):
            problems.append(f"{path.name} 第{n}行：基数值或年份不是数字")
    return out


def load_catalog(
    catalog_path: Path,
    units_path: Path,
    allocation_path: Path | None = None,
    baselines_path: Path | None = None,
) -> Catalog:
    """Load and cross-check the catalog files; raise CatalogError listing every problem."""
    data = _read_toml(catalog_path)
    units, groups = load_units(units_path)
    problems: list[str] = []
    pacing = {k: tuple(float(x) for x in v) for k, v in data.get("pacing", {}).items()}
    for key, profile in pacing.items():
        if profile and len(profile) != 4:
            problems.append(f"进度曲线 {key} 应有4个季度的值")
    indicators = [
        ind
        for raw in data.get("indicator", [])
        if (ind := _indicator(raw, units, groups, pacing, problems)) is not None
    ]
    milestones = [
        Milestone(
            id=m["id"],
            section=int(m["section"]),
            item=int(m["item"]),
            subtask=int(m.get("subtask", 0)),
            text=m["text"],
            name=m["name"],
            units=_expand_units(m.get("units", []), units, groups, f"任务 {m['id']}", problems),
        )
        for m in data.get("milestone", [])
    ]
    ids = [e.id for e in (*indicators, *milestones)]
    problems += [f"编号重复：{i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    cat = Catalog(
        version=str(data.get("catalog_version", "")),
        year=int(data.get("year", 0)),
        title=data.get("title", ""),
        issuer=data.get("issuer", ""),
        document_number=data.get("document_number", ""),
        sections={s["number"]: s["title"] for s in data.get("section", [])},
        items={i["number"]: i["title"] for i in data.get("item", [])},
        pacing=pacing,
        units=units,
        indicators=indicators,
        milestones=milestones,
    )
    if allocation_path is not None:
        cat.allocations = _allocations(allocation_path, cat, problems)
    if baselines_path is not None:
        cat.baselines = _baselines(baselines_path, cat, problems)
    if problems:
        raise CatalogError(problems)
    return cat


def catalog_from_settings(settings, year: int | None = None) -> Catalog:
    """The catalog of the ready plan of ``year`` (default: the newest ready plan).

    Commands and flows take the plan from the quarter (``plantrack.plans.catalog_for_quarter``);
    this is for callers without a quarter, such as fixture makers and benchmarks.
    """
    from plantrack import plans

    plan = plans.default_plan(settings) if year is None else plans.ready_plan(settings, year)
    return plan.catalog
