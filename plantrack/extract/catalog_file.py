"""Write a plan text's draft as a catalog TOML in the format of docs/catalog.md.

The draft is what ``plantrack plan init`` stores for a new year: the plan's metadata
(title, issuer, document number from the notice), the pacing profiles, the sections and
items that hold entries, every indicator and milestone with the responsible units
guessed from the text, and on every one of them ``review = "draft"`` with a Chinese
``review_reason`` when a guess is uncertain. ``plantrack.catalog.load_catalog`` reads
the file as it is: it ignores the review keys.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from plantrack.extract.draft import PlanDraft, draft_plan
from plantrack.extract.reading import PlanTextError
from plantrack.extract.structure import Node
from plantrack.extract.timeline import plan_year
from plantrack.extract.vocabulary import SENTENCE_PUNCT
from transforms.numerals import normalize_width

PACING = {
    "linear": [0.25, 0.50, 0.75, 1.00],
    "back_loaded": [0.10, 0.30, 0.60, 1.00],
    "q4": [0.00, 0.00, 0.20, 1.00],
    "year_end": [],
}
HEADLINE_TITLE = "总体目标"
GUESSED_UNITS = "责任单位为推测"

_NOTICE_RE = re.compile(r"(?P<issuer>[^\n《》]{2,40}?)关于印发《(?P<title>[^》\n]+)》")
_PUBLISHER_RE = re.compile(r"(?:发布单位|发文机关|发文单位|发布机构)[ \t]*[:：][ \t]*(?P<issuer>[^\s]+)")
_DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［【(（]\d{4}[〕\]］】)）][ \t]*\d{1,4}[ \t]*号")
_TITLE_LINE_RE = re.compile(r"\d{4}年[^\n。，]{0,30}(?:工作要点|工作计划|要点|计划|安排)$")
_LEAD_RE = re.compile(
    r"[(（][ \t]*(?:牵头单位|责任单位|牵头部门|责任部门|责任主体)[ \t]*[:：](?P<names>[^)）]+)[)）]"
)
# Words that name every reporting unit below the bureau (各区县, 各县（市、区）, 各镇街 …).
_EVERY_UNIT_RE = re.compile(
    r"各(?:区县|县区|区市|县市区|县\(市、区\)|县（市、区）|区\(市\)|区（市）|市县|镇街|镇\(街道\)"
    r"|镇（街道）|乡镇|街道|园区|区|县)"
)


@dataclass(frozen=True)
class UnitRef:
    """A reporting unit as the units file gives it (code, name, office, kind)."""

    code: str
    name: str
    office: str
    kind: str

    def aliases(self) -> list[str]:
        short = re.sub(r"(?:办事处|人民政府|管委会|管理委员会)$", "", self.office)
        return [a for a in {self.name, self.office, short} if len(a) >= 2]


UnitsLike = str | Path | Mapping | Sequence


def read_units(units: UnitsLike) -> tuple[list[UnitRef], dict[str, list[str]]]:
    """Units and groups from the units file (its text or path), its parsed TOML, or a list.

    A list may hold dicts (code, name, office, kind) or objects with those attributes,
    such as ``plantrack.catalog.Unit``.
    """
    if isinstance(units, Path):
        units = units.read_text(encoding="utf-8")
    if isinstance(units, str):
        units = tomllib.loads(units)
    groups: dict[str, list[str]] = {}
    if isinstance(units, Mapping):
        groups = {k: list(v) for k, v in units.get("groups", {}).items()}
        units = units.get("unit", [])
    refs = []
    for unit in units:
        get = unit.get if isinstance(unit, Mapping) else (lambda k, d=None, u=unit: getattr(u, k, d))
        name = get("name")
        refs.append(UnitRef(get("code"), name, get("office") or name, get("kind") or "district"))
    return refs, groups


# -- metadata --------------------------------------------------------------


def plan_metadata(text: str) -> dict[str, str | int | None]:
    """Title, issuer, document number and year as the notice and title lines give them."""
    norm = normalize_width(text)
    notice = _NOTICE_RE.search(norm)
    publisher = _PUBLISHER_RE.search(norm)
    number = _DOC_NUMBER_RE.search(norm)
    title = notice.group("title").strip() if notice else _title_line(norm)
    issuer = (
        publisher.group("issuer") if publisher else (_clean_issuer(notice.group("issuer")) if notice else "")
    )
    return {
        "title": title,
        "issuer": issuer,
        "document_number": re.sub(r"[ \t]", "", number.group(0)) if number else "",
        "year": plan_year(text),
    }


def _clean_issuer(issuer: str) -> str:
    return issuer.strip(" \t：:").split("\n")[-1].strip()


def _title_line(norm: str) -> str:
    for line in norm.split("\n"):
        line = line.strip(" \t")
        if _TITLE_LINE_RE.search(line) and len(line) <= 40:
            return line
    return ""


# -- responsible units -----------------------------------------------------


@dataclass
class _Units:
    refs: list[UnitRef]
    groups: dict[str, list[str]]

    @property
    def bureau(self) -> list[str]:
        return [u.code for u in self.refs if u.kind == "bureau"]

    @property
    def reporting(self) -> list[str]:
        """Every unit below the bureau (all units when none is the bureau)."""
        below = [u.code for u in self.refs if u.kind != "bureau"]
        return below or [u.code for u in self.refs]

    def named_in(self, passage: str) -> list[str]:
        """Codes of the units the passage names, in the units file's order."""
        found = [u.code for u in self.refs if any(a in passage for a in u.aliases())]
        if _EVERY_UNIT_RE.search(passage):
            found = list(dict.fromkeys(found + self.reporting))
        order = {u.code: n for n, u in enumerate(self.refs)}
        return sorted(found, key=order.__getitem__)

    def compact(self, codes: list[str]) -> list[str]:
        """A group's name when the codes are exactly its members (districts, all)."""
        for name, members in self.groups.items():
            if set(members) == set(codes) and len(codes) > 1:
                return [name]
        return codes


def _sentence(text: str, pos: int) -> tuple[int, int]:
    start = max(text.rfind(c, 0, pos) for c in SENTENCE_PUNCT) + 1
    ends = [i for c in SENTENCE_PUNCT if (i := text.find(c, pos)) >= 0]
    return start, min(ends) if ends else len(text)


def _node_span(draft: PlanDraft, pos: int) -> tuple[int, int]:
    """The innermost numbered part (sub-task, item) holding pos."""
    holding = [n for n in draft.structure.nodes if n.start <= pos < n.end]
    if not holding:
        return 0, len(draft.text)
    node = max(holding, key=lambda n: n.start)
    return node.start, node.end


def _responsible(draft: PlanDraft, units: _Units, pos: int, additive: bool | None) -> tuple[list[str], str]:
    """(unit codes or group names, reason when guessed) for the entry at pos."""
    text = draft.text
    start, stop = _node_span(draft, pos)
    leads = [m.group("names") for m in _LEAD_RE.finditer(text, start, stop)]
    named = units.named_in("、".join(leads)) if leads else []
    if not named:
        named = units.named_in(text[slice(*_sentence(text, pos))])
    if named:
        return units.compact(named), ""
    default = units.reporting if additive else (units.bureau or units.reporting)
    return units.compact(default), GUESSED_UNITS


# -- the catalog -----------------------------------------------------------


def _join(*reasons: str) -> str:
    return "；".join(r for r in reasons if r)


def _milestone_pos(draft: PlanDraft, entry: dict) -> int:
    for node in draft.structure.nodes:
        if node.kind != "section" and (node.item, node.subtask) == (entry["item"], entry["subtask"]):
            return node.body
    return max(0, draft.text.find(entry["text"]))


def _heading(draft: PlanDraft, node: Node) -> str:
    start, stop = node.heading_span(draft.text, node.end)
    title = draft.text[start:stop].strip(" \t")
    comma = title.find("，")
    return title[:comma] if len(title) > 40 and comma > 0 else title


def _unique_ids(entries: list[dict]) -> None:
    seen: set[str] = set()
    for entry in entries:
        base, letter = entry["id"], 0
        while entry["id"] in seen:
            entry["id"] = f"{base}{chr(ord('a') + letter)}"
            letter += 1
        seen.add(entry["id"])


def draft_catalog(text: str, year: int | None = None, units: UnitsLike = ()) -> dict:
    """The draft catalog of a plan text as TOML-ready data (see draft_catalog_toml)."""
    meta = plan_metadata(text)
    year = year or meta["year"]
    if not year:
        raise PlanTextError("无法从文本标题判断计划年度（如“2024年工作要点”），请指定年度。")
    draft = draft_plan(text, year)
    refs = _Units(*read_units(units))
    indicators = []
    for target, entry in zip(draft.targets, draft.indicators, strict=True):
        codes, guessed = _responsible(draft, refs, target.num_start, entry["additive"])
        indicators.append({**entry, "units": codes, "review_reason": _join(entry["review_reason"], guessed)})
    milestones = []
    for entry in draft.milestones:
        codes, guessed = _responsible(draft, refs, _milestone_pos(draft, entry), None)
        milestones.append({**entry, "units": codes, "review_reason": _join(entry["review_reason"], guessed)})
    _unique_ids(indicators + milestones)
    used = {(e["section"], e["item"]) for e in indicators + milestones}
    sections, items = _sections_and_items(draft, used)
    title_year = meta["year"]
    meta_reasons = _join(
        "" if meta["title"] else "未找到计划标题",
        "" if meta["issuer"] else "未找到发文单位",
        "" if meta["document_number"] else "未找到文号",
        f"标题年度（{title_year}）与指定年度（{year}）不一致" if title_year and title_year != year else "",
    )
    return {
        "catalog_version": f"{year}.1",
        "year": year,
        "title": meta["title"] or f"{year}年工作计划",
        "issuer": meta["issuer"],
        "document_number": meta["document_number"],
        "review": "draft",
        "review_reason": meta_reasons,
        "pacing": PACING,
        "pacing_review": {"review": "draft", "review_reason": "季度进度曲线为通用默认值，请按本年计划核对"},
        "section": sections,
        "item": items,
        "indicator": indicators,
        "milestone": milestones,
    }


def _sections_and_items(draft: PlanDraft, used: set[tuple[int, int]]) -> tuple[list, list]:
    used_sections = {s for s, _ in used}
    used_items = {i for _, i in used}
    sections, items = [], []
    if 0 in used_items:
        sections.append(
            {
                "number": 0,
                "title": HEADLINE_TITLE,
                "review": "draft",
                "review_reason": "正文之前的总体目标，标题为推测",
            }
        )
        items.append(
            {
                "number": 0,
                "section": 0,
                "title": HEADLINE_TITLE,
                "review": "draft",
                "review_reason": "正文之前的总体目标，标题为推测",
            }
        )
    for node in draft.structure.nodes:
        if node.kind == "section" and node.number in used_sections and node.number:
            sections.append(
                {
                    "number": node.number,
                    "title": _heading(draft, node),
                    "review": "draft",
                    "review_reason": "",
                }
            )
        elif node.kind == "item" and node.item in used_items:
            items.append(
                {
                    "number": node.item,
                    "section": node.section,
                    "title": _heading(draft, node),
                    "review": "draft",
                    "review_reason": "",
                }
            )
    seen = {s["number"] for s in sections}
    for number in sorted(used_sections - seen):  # items without sections (a plan of items only)
        sections.append({"number": number, "title": "", "review": "draft", "review_reason": "未找到部分标题"})
    return sections, items


# -- TOML ------------------------------------------------------------------

_INDICATOR_ORDER = (
    "id",
    "section",
    "item",
    "subtask",
    "text",
    "name",
    "unit",
    "target",
    "stretch",
    "range_max",
    "qualifier",
    "cumulative",
    "additive",
    "pacing",
    "units",
    "review",
    "review_reason",
)
_MILESTONE_ORDER = ("id", "section", "item", "subtask", "text", "name", "units", "review", "review_reason")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(header: str, data: dict, order: Sequence[str] | None = None) -> list[str]:
    lines = [header]
    for key in order or data:
        value = data.get(key)
        if value is not None and not (key == "review_reason" and value == ""):
            lines.append(f"{key} = {_value(value)}")
    return lines + [""]


def catalog_toml(catalog: dict) -> str:
    """The catalog data of draft_catalog as TOML text."""
    lines = [
        f"# plantrack plan catalog — {catalog['title']}"
        + (f" ({catalog['document_number']})" if catalog["document_number"] else ""),
        '# 草稿：由 plantrack 从计划文本提取。逐条对照原文审核后，把 review = "draft" 改为',
        '# review = "reviewed"（或运行 plantrack plan approve）。review_reason 说明需要核对之处。',
        "# Schema: docs/catalog.md.",
        "",
    ]
    for key in ("catalog_version", "year", "title", "issuer", "document_number", "review", "review_reason"):
        lines.append(f"{key} = {_value(catalog[key])}")
    lines.append("")
    lines += _table("[pacing]", catalog["pacing"])
    lines += _table("[pacing_review]", catalog["pacing_review"])
    for section in catalog["section"]:
        lines += _table("[[section]]", section)
    for item in catalog["item"]:
        lines += _table("[[item]]", item)
    for indicator in catalog["indicator"]:
        lines += _table("[[indicator]]", indicator, _INDICATOR_ORDER)
    for milestone in catalog["milestone"]:
        lines += _table("[[milestone]]", milestone, _MILESTONE_ORDER)
    return "\n".join(lines).rstrip("\n") + "\n"


def draft_catalog_toml(text: str, year: int | None = None, units: UnitsLike = ()) -> str:
    """The draft catalog TOML of a plan text, in the format of docs/catalog.md.

    ``year`` is the plan's year (default: the year of the plan's title); ``units`` the
    reporting units: the units file's text or path, its parsed TOML, or a list of unit
    dicts or objects (code, name, office, kind). Raises PlanTextError (Chinese message)
    when the text holds no target or no year can be found.
    """
    return catalog_toml(draft_catalog(text, year, units))
