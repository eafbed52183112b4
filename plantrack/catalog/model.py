"""The plan catalog as the rest of plantrack sees it: indicators, milestones, units,
allocation and baselines, and the lookups on them. ``plantrack.catalog.loading`` builds
one from the reviewed files (docs/catalog.md)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cached_property

QUALIFIERS = ("min", "approx", "range", "exact", "max", "increase_by", "share")
QUARTERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    office: str
    kind: str


@dataclass(frozen=True)
class Indicator:
    id: str
    section: int
    item: int
    subtask: int
    text: str
    name: str
    unit: str
    target: float
    qualifier: str
    cumulative: bool
    additive: bool
    pacing: str
    units: tuple[str, ...]
    stretch: float | None = None
    range_max: float | None = None
    continues: str = ""  # last year's indicator id this one carries on (docs/catalog.md)

    kind = "indicator"

    @property
    def is_relative(self) -> bool:
        return self.qualifier == "increase_by"


@dataclass(frozen=True)
class Milestone:
    id: str
    section: int
    item: int
    subtask: int
    text: str
    name: str
    units: tuple[str, ...]

    kind = "milestone"


LEVELS = "省市州盟县旗区"
# a place name at its levels, highest first: 山东省 威海市 环翠区, 石湖县, 安澜高新技术产业开发区
_PLACE = re.compile(
    rf"(?:[^{LEVELS}]{{1,10}}?(省))?(?:[^{LEVELS}]{{1,10}}?([市州盟]))?(?:[^{LEVELS}]{{1,10}}?([县旗区]))?"
)


_YEAR_AFTER_PLACE = re.compile(rf"^(\s*(?:[^\d《》]{{0,12}}[{LEVELS}])?)\s*\d{{4}}\s*年(度)?")


def title_without_year(title: str) -> str:
    """A plan's title without its year, first or after the place name (石湖县2024年科技工作要点 →
    石湖县科技工作要点); a year after anything else stays (青禾区商务局2023年工作总结…)."""
    return _YEAR_AFTER_PLACE.sub(r"\1", title, count=1).strip() or title


def whole_jurisdiction(title: str, issuer: str) -> str:
    """What a plan calls all of its territory (全市, 全县, 全区): the word in its title when
    it has one (2022年全县科技工作要点), else the lowest level its issuer's name begins with
    (石湖县科学技术局 → 全县, 威海市城市管理局 → 全市, 安澜高新区管委会 → 全区), else 全市."""
    said = re.match(rf"全[{LEVELS}]", title_without_year(title))
    if said:
        return said.group(0)
    for name in (issuer, title):
        place = _PLACE.match(name.strip())
        level = place and (place.group(3) or place.group(2) or place.group(1))
        if level:
            return f"全{level}"
    return "全市"


def leaders_of(issuer: str) -> str:
    """Whom the whole plan's brief is sent to, as the issuer calls its leaders: 局领导 of a
    局, 委领导 of a 委员会 (a 管委会), 厅领导, 办领导; 领导 when its name says neither."""
    name = issuer.strip()
    for endings, leaders in (
        (("局",), "局领导"),
        (("委员会", "委"), "委领导"),
        (("厅",), "厅领导"),
        (("办公室", "办"), "办领导"),
    ):
        if name.endswith(endings):
            return leaders
    return "领导"


@dataclass(frozen=True)
class Allocation:
    indicator_id: str
    unit: str
    target: float
    stretch: float | None
    note: str


@dataclass(frozen=True)
class Baseline:
    indicator_id: str
    unit: str
    value: float
    year: int
    note: str


@dataclass
class Catalog:
    version: str
    year: int
    title: str
    issuer: str
    document_number: str
    sections: dict[int, str]
    items: dict[int, str]
    pacing: dict[str, tuple[float, ...]]
    units: dict[str, Unit]
    indicators: list[Indicator]
    milestones: list[Milestone]
    allocations: list[Allocation] = field(default_factory=list)
    baselines: list[Baseline] = field(default_factory=list)

    # -- lookups -----------------------------------------------------------
    @property
    def short_title(self) -> str:
        """The title without its year (``title_without_year``: 全市科技工作要点): what briefs
        and file names are called."""
        return title_without_year(self.title)

    @property
    def whole(self) -> str:
        """All of the plan's territory as its briefs say it (全市, 全县, 全区)."""
        return whole_jurisdiction(self.title, self.issuer)

    @property
    def unscoped_title(self) -> str:
        """The short title without the plan's whole (科技工作要点), what mastheads and unit
        briefs and assessments are named after."""
        return self.short_title.removeprefix(self.whole)

    @property
    def brief_name(self) -> str:
        """The brief's name without scope (科技工作要点落实情况简报), for mastheads and unit briefs."""
        return f"{self.unscoped_title}落实情况简报"

    @property
    def assessment_title(self) -> str:
        """The city's year-end assessment (全市科技工作要点年度完成情况考核)."""
        return f"{self.short_title}年度完成情况考核"

    @property
    def assessment_masthead(self) -> str:
        """The assessment cover's masthead (科技工作要点年度考核, 石湖县科技工作要点年度考核)."""
        return f"{self.unscoped_title}年度考核"

    @property
    def assessment_name(self) -> str:
        """The assessment's name without scope (科技工作要点年度完成情况考核), for a unit's."""
        return f"{self.unscoped_title}年度完成情况考核"

    def indicator(self, indicator_id: str) -> Indicator:
        return self.indicators_by_id[indicator_id]

    @cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    def indicators_for(self, unit: str) -> list[Indicator]:
        return [i for i in self.indicators if unit in i.units]

    def milestones_for(self, unit: str) -> list[Milestone]:
        return [m for m in self.milestones if unit in m.units]

    def _first_by_key(self, name: str) -> dict:
        """(indicator id, unit) → the first allocation or baseline of ``name`` with that key,
        rebuilt when the list is replaced or grows (loading assigns them after the plan)."""
        items = getattr(self, name)
        stamp = (id(items), len(items))
        cached = self.__dict__.get(f"_{name}_index")
        if cached is None or cached[0] != stamp:
            index: dict = {}
            for item in items:
                index.setdefault((item.indicator_id, item.unit), item)
            cached = self.__dict__[f"_{name}_index"] = (stamp, index)
        return cached[1]

    def unit_target(self, indicator: Indicator, unit: str) -> tuple[float | None, float | None]:
        """The unit's (target, stretch): its allocation, or the city target for a sole reporter."""
        a = self._first_by_key("allocations").get((indicator.id, unit))
        if a is not None:
            return a.target, a.stretch
        if indicator.units == (unit,):
            return indicator.target, indicator.stretch
        return None, None

    def baseline(self, indicator_id: str, unit: str = "city") -> Baseline | None:
        return self._first_by_key("baselines").get((indicator_id, unit))

    def reporting_units(self) -> list[Unit]:
        """Units that report at least one indicator or milestone, in configured order."""
        used = {u for i in self.indicators for u in i.units}
        used |= {u for m in self.milestones for u in m.units}
        return [u for code, u in self.units.items() if code in used]

    def expected_share(self, indicator: Indicator, quarter: int) -> float | None:
        """Share of the annual target expected done by the end of ``quarter`` (序时进度)."""
        profile = self.pacing[indicator.pacing]
        if not profile:
            return None
        return profile[quarter - 1]

    def entries(self) -> list[dict]:
        """Indicators then milestones as plain dicts: the ``plan show --json`` shape."""
        rows = []
        for i in self.indicators:
            d = asdict(i)
            d["units"] = list(i.units)
            rows.append({"kind": "indicator", **d})
        for m in self.milestones:
            d = asdict(m)
            d["units"] = list(m.units)
            rows.append(
                {
                    "kind": "milestone",
                    **d,
                    "unit": None,
                    "target": None,
                    "stretch": None,
                    "range_max": None,
                    "qualifier": None,
                    "cumulative": None,
                    "additive": None,
                    "pacing": None,
                }
            )
        return rows
