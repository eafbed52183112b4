"""Draft a plan catalog from the text of a Chinese municipal annual work plan.

The genre (工作要点, 工作计划) is regular: sections ``一、``, numbered items
(``1.`` or ``（一）``), sub-tasks (``一是``/``二是`` or ``1.`` under ``（一）``), and
quantified targets written as a number, a measure word and a qualifier
(``新增省级平台10家以上``, ``占比达到3%``, ``确保…，力争…``).

The extractor works on the text in three passes:

1. structure: find the sections, items and sub-tasks and their headings;
2. targets: find every number followed by a unit, drop the ones that are
   names, ordinals, dates or labels, and classify the rest;
3. catalog: turn targets into indicators and qualitative headings into
   milestones, with the ids and fields of ``docs/catalog.md``.

Pass 1 is in ``structure``; pass 2 in ``targets`` (which figures are
targets), ``clauses`` (their text and qualifier) and ``names``, run in order
by ``find_targets`` below, after ``cleanup`` repairs copy artefacts and with
``timeline`` telling the year's figures from earlier ones; pass 3 is here, and
``catalog_file`` writes its result as a catalog TOML. The word lists are in
``vocabulary``; reading the plan file is in ``reading``.
"""

from __future__ import annotations

from dataclasses import dataclass

from plantrack.extract.clauses import Clauses, assign_texts, classify, distribute_list_suffix, merge_stretches
from plantrack.extract.cleanup import join_broken_lines
from plantrack.extract.names import MAX_NAME, indicator_name, merge_restatements
from plantrack.extract.reading import PlanTextError
from plantrack.extract.structure import Structure, parse_structure
from plantrack.extract.targets import (
    Target,
    drop_described_lists,
    drop_thresholds,
    drop_unwanted,
    quote_mask,
    raw_targets,
)
from plantrack.extract.timeline import review_spans, timeline
from plantrack.extract.vocabulary import (
    DURATION_UNITS,
    ENTITY_UNITS,
    FLOW_NOUNS,
    FLOW_VERBS,
    LEVEL_NOUNS,
    LEVEL_VERBS,
    MILESTONE_ADVERBS,
    QUOTE_PAIRS,
    RATIO_UNITS,
    STOCK_WORDS,
)
from transforms.numerals import normalize_width

_MAX_HEADING = 40
_LONG_NAME = 20
# A recognition is announced once a year, late: its figure arrives in Q4.
RECOGNITION_WORDS = ("认定", "评定", "认证", "获批", "评审")


def find_targets(text: str, structure: Structure | None = None, year: int | None = None) -> list[Target]:
    """All quantified targets of a plan text, classified, in document order.

    ``year`` is the plan's year when the caller knows it; else the title says it.
    """
    norm = join_broken_lines(normalize_width(text))
    structure = structure or parse_structure(text)
    quotes = quote_mask(norm)
    raw = raw_targets(norm)
    blocked = quotes + [(t.num_start, t.num_end) for t in raw]
    clauses = Clauses(norm, blocked, structure.marker_ends)
    assign_texts(norm, raw, clauses)
    targets = drop_unwanted(norm, raw, quotes)
    targets = drop_described_lists(norm, targets, raw)
    when = timeline(text, norm, structure, year)
    targets = [t for t in targets if not when.is_past(norm, t.num_start)]
    for target in targets:
        target.past_nearby = when.past_nearby(norm, target.num_start)
    assign_texts(norm, targets, clauses)
    targets = drop_thresholds(norm, targets)
    assign_texts(norm, targets, clauses)
    previous = None
    for target in targets:
        classify(norm, target, previous if target.continuation else None)
        previous = target
    distribute_list_suffix(targets)
    targets = merge_stretches(norm, targets)
    for index, target in enumerate(targets):
        target.name = indicator_name(text, target, targets[index - 1] if index else None)
    return merge_restatements(text, targets)


# --------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------


def _cumulative(target: Target) -> tuple[bool, bool]:
    """(stock?, certain?): a level reached, or what is added during the year."""
    basis = target.basis
    if any(word in basis for word in STOCK_WORDS):
        return True, True
    if target.qualifier == "increase_by":
        return False, True
    if target.qualifier == "share" or target.unit == "%" or target.per_capita:
        return True, True
    if any(word in basis for word in FLOW_VERBS + FLOW_NOUNS):
        return False, True
    if any(noun in basis for noun in LEVEL_NOUNS):
        return True, True
    level = target.unit in ENTITY_UNITS and any(verb in basis[-6:] for verb in LEVEL_VERBS)
    return level, False


def _additive(target: Target) -> bool:
    return not (
        target.unit in RATIO_UNITS
        or target.unit in DURATION_UNITS
        or target.qualifier in ("share", "increase_by")
        or target.per_capita
    )


def _pacing(target: Target, additive: bool) -> tuple[str, str]:
    """(pacing key, reason when guessed): recognitions come in Q4, ratios at year end."""
    if not additive:
        return "year_end", ""
    if any(word in target.basis + target.name for word in RECOGNITION_WORDS):
        return "q4", "认定类指标，进度曲线按四季度集中为推测"
    return "linear", ""


def _reasons(text: str, target: Target, cumulative_certain: bool, pacing_reason: str) -> str:
    reasons = []
    if target.past_nearby:
        reasons.append("目标与上年实绩难以区分")
    if not cumulative_certain:
        reasons.append("无法判断是新增还是累计")
    if target.restated_at:
        reasons.append("总体目标在正文重复出现，已合并为一条")
    if len(target.name) > _LONG_NAME or target.name == text[target.text_start : target.text_end]:
        reasons.append("名称为推测，请精简")
    if pacing_reason:
        reasons.append(pacing_reason)
    return "；".join(reasons)


def _indicator_dict(text: str, target: Target, context: tuple[int, int, int], seq: int) -> dict:
    section, item, subtask = context
    additive = _additive(target)
    cumulative, certain = _cumulative(target)
    pacing, pacing_reason = _pacing(target, additive)
    return {
        "id": f"I{item:02d}-{subtask}-{seq}",
        "kind": "indicator",
        "section": section,
        "item": item,
        "subtask": subtask,
        "text": text[target.text_start : target.text_end],
        "name": target.name,
        "unit": target.unit,
        "target": target.value,
        "stretch": target.stretch,
        "range_max": target.high,
        "qualifier": target.qualifier,
        "cumulative": cumulative,
        "additive": additive,
        "pacing": pacing,
        "review": "draft",
        "review_reason": _reasons(text, target, certain, pacing_reason),
    }


def _milestone_name(heading: str) -> str:
    comma = _first_comma(heading, 0, len(heading))
    name = heading[:comma] if comma > 0 else heading
    for adverb in MILESTONE_ADVERBS:
        if name.startswith(adverb) and len(name) > len(adverb) + 2:
            name = name[len(adverb) :]
    name = name.replace("《", "").replace("》", "")
    return name[:MAX_NAME]


def _first_comma(text: str, start: int, stop: int) -> int:
    """Position of the first ，or , outside quotation marks, or -1."""
    depth = 0
    for pos in range(start, stop):
        char = text[pos]
        if char in QUOTE_PAIRS:
            depth += 1
        elif char in QUOTE_PAIRS.values():
            depth = max(0, depth - 1)
        elif char in "，," and depth == 0:
            return pos
    return -1


def _heading_text(text: str, start: int, stop: int) -> tuple[int, int]:
    """Verbatim heading clause: the heading sentence, cut at the first comma if long."""
    if stop - start > _MAX_HEADING:
        comma = _first_comma(text, start, stop)
        if comma > start:
            stop = comma
    while stop > start and text[stop - 1] in " \t":
        stop -= 1
    return start, stop


def _milestones(
    text: str, structure: Structure, targets: list[Target], year: int | None = None
) -> list[dict]:
    positions = [t.num_start for t in targets]
    items_with_subs = {n.item for n in structure.nodes if n.kind == "subtask"}
    review = review_spans(text, structure, year)
    out = []
    for node in structure.nodes:
        if node.kind == "section" or (node.kind == "item" and node.item in items_with_subs):
            continue
        if any(start <= node.start < stop for start, stop in review):
            continue
        limit = node.end
        if node.kind == "item":
            limit = min(
                [n.start for n in structure.nodes if n.kind == "subtask" and n.item == node.item]
                or [node.end]
            )
        start, stop = node.heading_span(text, limit)
        if stop <= start or any(start <= p < stop for p in positions):
            continue
        start, stop = _heading_text(text, start, stop)
        heading = text[start:stop]
        out.append(
            {
                "id": f"M{node.item:02d}-{node.subtask}",
                "kind": "milestone",
                "section": node.section,
                "item": node.item,
                "subtask": node.subtask,
                "text": heading,
                "name": _milestone_name(heading),
                "unit": None,
                "target": None,
                "stretch": None,
                "range_max": None,
                "qualifier": None,
                "cumulative": None,
                "additive": None,
                "review": "draft",
                "review_reason": "",
            }
        )
    return out


def _indicators(text: str, structure: Structure, targets: list[Target]) -> list[dict]:
    counters: dict[tuple[int, int], int] = {}
    out = []
    for target in targets:
        context = structure.context(target.num_start)
        key = context[1:]
        counters[key] = counters.get(key, 0) + 1
        out.append(_indicator_dict(text, target, context, counters[key]))
    return out


def extract_indicators(text: str) -> list[dict]:
    """Indicator dicts of a plan text (possibly empty; never raises)."""
    structure = parse_structure(text)
    return _indicators(text, structure, find_targets(text, structure))


def extract_milestones(text: str) -> list[dict]:
    """Milestone dicts: one per qualitative sub-task (or item without sub-tasks)."""
    structure = parse_structure(text)
    return _milestones(text, structure, find_targets(text, structure))


@dataclass
class PlanDraft:
    """A plan text read once: its structure, targets (parallel to indicators) and entries."""

    text: str
    year: int | None
    structure: Structure
    targets: list[Target]
    indicators: list[dict]
    milestones: list[dict]


def draft_plan(text: str, year: int | None = None) -> PlanDraft:
    """Read a plan text into a PlanDraft; ``year`` overrides the year of the title.

    Raises PlanTextError (Chinese message) when the text holds no quantified target.
    """
    if not text or not text.strip():
        raise PlanTextError("文本为空：没有可以提取的内容。")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    structure = parse_structure(text)
    targets = find_targets(text, structure, year)
    indicators = _indicators(text, structure, targets)
    if not indicators:
        raise PlanTextError(
            "未在文本中找到任何量化目标（如“新增…10家以上”“占比达到3%”）。"
            "请确认文件是年度工作要点或工作计划的正文。"
        )
    milestones = _milestones(text, structure, targets, year)
    return PlanDraft(text, year, structure, targets, indicators, milestones)


def extract_catalog(text: str, year: int | None = None) -> list[dict]:
    """Draft catalog of a plan text: indicators, then milestones.

    Raises PlanTextError (Chinese message) when the text holds no quantified target.
    """
    draft = draft_plan(text, year)
    return draft.indicators + draft.milestones
