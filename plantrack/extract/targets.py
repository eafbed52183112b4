"""Pass 2a: every figure with a unit in the text, minus those that are not targets.

A figure is dropped when it is a name, ordinal, date or label, a vague
quantifier (一批, 数十家), a description (对全市…家企业), a per-unit rate, the
size in front of a noun (500万元以上项目) or a figure about an earlier year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plantrack.extract.structure import Structure
from plantrack.extract.vocabulary import (
    CLAUSE_PUNCT,
    DESCRIPTIVE_RE,
    FLOW_VERBS,
    NOT_A_UNIT,
    PER_OTHER_RE,
    PREFIX_KEYWORDS,
    QUANTITY_VERBS,
    QUOTE_PAIRS,
    SENTENCE_PUNCT,
    SUFFIXES,
    THRESHOLD_UNITS,
    UNIT_RE,
    VAGUE_BEFORE_CN,
    VAGUE_ONE,
)
from transforms.numerals import (
    CN_DIGITS,
    NUMBER,
    RANGE_SEPARATOR,
    is_chinese_numeral,
    normalize_width,
    parse_chinese_numeral,
    parse_number,
)

_TARGET_RE = re.compile(
    rf"(?P<pct>百分之)?(?P<num>{NUMBER})"
    rf"(?:[ \t]?{RANGE_SEPARATOR}[ \t]?(?P<num2>{NUMBER}))?"
    rf"(?P<vague>[余多])?[ \t]?"
    rf"(?P<unit>(?:{UNIT_RE})(?:\((?:{UNIT_RE})\))?)?"
    rf"(?P<suffix>{'|'.join(SUFFIXES)})?"
)
_DOUBLING_RE = re.compile(r"翻(?P<times>[一两二三]?)番")
_MAGNITUDE_RE = re.compile(
    rf"(?<=突破|达到|超过)(?P<num>[百千万])(?P<unit>{UNIT_RE})(?P<suffix>以上)?"
)


@dataclass
class Target:
    """One quantified target found in the text (positions refer to the text)."""

    num_start: int
    num_end: int
    end: int  # after unit and suffix
    value: int | float
    high: int | float | None
    unit: str
    suffix: str = ""
    vague: str = ""
    chinese: bool = False
    special: str = ""
    text_start: int = 0
    text_end: int = 0
    continuation: bool = False
    qualifier: str = "exact"
    prefix_qualifier: str | None = None
    ratio_kind: str | None = None
    per_capita: bool = False
    stretch: int | float | None = None
    name: str = ""
    list_index: int = 0  # position in a 、-list that shares one verb
    basis: str = ""  # the wording that qualifies the figure (own prefix, or the list head's)


def clause_prefix(norm: str, target: Target) -> str:
    """The words of the target's clause before its figure (verb, keyword, subject)."""
    return norm[target.text_start:target.num_start]


def quote_mask(norm: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks or title brackets (names, never targets)."""
    spans = []
    for line_start, line in _lines(norm):
        for pos, char in enumerate(line):
            closer = QUOTE_PAIRS.get(char)
            if closer:
                close = line.find(closer, pos + 1)
                if close > 0:
                    spans.append((line_start + pos, line_start + close + 1))
        quotes = [i for i, c in enumerate(line) if c == '"']
        for open_, close in zip(quotes[::2], quotes[1::2], strict=False):
            spans.append((line_start + open_, line_start + close + 1))
    return spans


def _lines(norm: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for line in norm.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(start <= pos < stop for start, stop in spans)


def raw_targets(norm: str) -> list[Target]:
    """Every number + unit in the text, before any filtering."""
    found = []
    for match in _TARGET_RE.finditer(norm):
        target = _from_match(match)
        if target is not None:
            found.append(target)
    for match in _DOUBLING_RE.finditer(norm):
        times = CN_DIGITS.get(match.group("times"), 1)
        found.append(Target(match.start(), match.end(), match.end(),
                            (2 ** times - 1) * 100, None, "%", special="double"))
    for match in _MAGNITUDE_RE.finditer(norm):
        value = parse_chinese_numeral(match.group("num"))
        found.append(Target(match.start(), match.end("num"), match.end(), value, None,
                            match.group("unit"), suffix=match.group("suffix") or "",
                            chinese=True, special="magnitude"))
    return sorted(found, key=lambda t: t.num_start)


def _from_match(match: re.Match) -> Target | None:
    num, num2 = match.group("num"), match.group("num2")
    unit = match.group("unit")
    if match.group("pct"):
        if unit:
            return None
        unit = "%"
    if not unit:
        return None
    money_shift = unit == "元" and (num2 or num)[-1] in "万亿"
    if money_shift:
        unit = (num2 or num)[-1] + "元"
        num = num[:-1] if num[-1] in "万亿" else num
        num2 = num2[:-1] if num2 else None
    try:
        value = parse_number(num)
        high = parse_number(num2) if num2 else None
    except ValueError:
        return None
    if high is not None and high <= value:
        return None
    return Target(
        num_start=match.start(), num_end=match.end("num2") if num2 else match.end("num"),
        end=match.end(), value=value, high=high, unit=unit,
        suffix=match.group("suffix") or "", vague=match.group("vague") or "",
        chinese=is_chinese_numeral(num),
    )


def clause_end_after(norm: str, pos: int) -> bool:
    return pos >= len(norm) or norm[pos] in CLAUSE_PUNCT + "、)）"


def _is_name_or_label(norm: str, target: Target, quotes: list[tuple[int, int]]) -> bool:
    """True when the number is a name, ordinal, date or label rather than a target."""
    start, before = target.num_start, norm[max(0, target.num_start - 1):target.num_start]
    if _inside(quotes, start) or before == "第":
        return True
    if before == "前" and target.unit in ("名", "位"):
        return True
    after = norm[target.end:target.end + 2]
    unit_tail = target.unit[-1] + after[:1]
    if not target.suffix and any(unit_tail.startswith(w) for w in NOT_A_UNIT):
        return True
    if after[:1] == "+":
        return True
    return target.chinese and _is_vague_chinese(norm, target)


def _is_vague_chinese(norm: str, target: Target) -> bool:
    """Chinese numerals in slogans and vague phrases (一批, 八项规定, 一企一策)."""
    start = target.num_start
    if target.special:
        return False
    if start > 0 and norm[start - 1] in VAGUE_BEFORE_CN:
        return True
    after_unit = norm[target.end:target.end + 3]
    if target.value == 1 and any(norm[start + 1:].startswith(w) for w in VAGUE_ONE):
        return True
    if after_unit[:1] in CN_DIGITS:
        return True  # 一家一策, 五位一体
    if target.suffix or target.vague or clause_end_after(norm, target.end):
        return False
    if target.value == 1:
        return True  # 一个…, 一项… before a noun: not a count
    prefix = norm[max(0, start - 4):start]
    words = QUANTITY_VERBS + tuple(k for k, _, _ in PREFIX_KEYWORDS)
    return not any(prefix.endswith(w) for w in words)


def drop_unwanted(norm: str, targets: list[Target], quotes: list) -> list[Target]:
    """Remove names, labels, descriptions and per-unit rates."""
    kept = []
    for target in targets:
        if _is_name_or_label(norm, target, quotes):
            continue
        prefix = clause_prefix(norm, target)
        if DESCRIPTIVE_RE.search(prefix) or PER_OTHER_RE.search(prefix):
            continue
        if target.special == "magnitude" and not (
            target.suffix or clause_end_after(norm, target.end)
        ):
            continue
        kept.append(target)
    return kept


def drop_thresholds(norm: str, targets: list[Target]) -> list[Target]:
    """实施500万元以上工业项目120个: the size before the noun only describes it."""
    kept = []
    for index, target in enumerate(targets):
        following = targets[index + 1] if index + 1 < len(targets) else None
        if following is not None and _is_threshold(norm, target, following):
            continue
        kept.append(target)
    return kept


def _is_threshold(norm: str, target: Target, following: Target) -> bool:
    if target.unit not in THRESHOLD_UNITS or target.high is not None:
        return False
    between = norm[target.end:following.num_start]
    if not between or any(c in CLAUSE_PUNCT + "、" for c in between):
        return False
    if not re.match(r"[\u4e00-\u9fff]", between) or following.text_start > target.end:
        return False
    return not any(verb in between for verb in FLOW_VERBS)


_PLAN_TITLE_RE = re.compile(
    r"(\d{4})年(?:(?!\d{4}年)[^\n。]){0,30}?(?:工作要点|工作计划|要点|计划|安排)"
)
_YEAR_RE = re.compile(r"(\d{4})年")
_PAST_YEAR_RE = re.compile(r"(?<![较比与以在同])(\d{4})年")  # not 较2020年 (a baseline)
_PAST_WORDS_RE = re.compile(r"去年|过去一年|一年来|过去的一年")
_PRESENT_WORDS_RE = re.compile(r"今年|本年")
_REVIEW_WORDS = ("回顾", "总结", "完成情况", "主要成效", "工作成效")


def plan_year(text: str) -> int | None:
    """The year the plan is for, from its title (2021年全市科技工作要点 → 2021)."""
    match = _PLAN_TITLE_RE.search(normalize_width(text))
    return int(match.group(1)) if match else None


def is_past(norm: str, target: Target, year: int | None, review: list) -> bool:
    """A figure about an earlier year (工作回顾, 截至2020年底…) is not a target.

    The last time marker before the figure in its sentence decides.
    """
    if any(start <= target.num_start < stop for start, stop in review):
        return True
    start = max(norm.rfind(c, 0, target.num_start) for c in SENTENCE_PUNCT) + 1
    before = norm[start:target.num_start]
    markers = [(m.start(), year is not None and int(m.group(1)) < year)
               for m in _PAST_YEAR_RE.finditer(before)]
    markers += [(m.start(), True) for m in _PAST_WORDS_RE.finditer(before)]
    markers += [(m.start(), False) for m in _PRESENT_WORDS_RE.finditer(before)]
    return max(markers)[1] if markers else False


def review_spans(norm: str, structure: Structure, year: int | None) -> list[tuple[int, int]]:
    """Sections that review last year's work (2020年工作回顾)."""
    spans = []
    for node in structure.nodes:
        if node.kind != "section":
            continue
        title = norm[slice(*node.heading_span(norm, node.end))]
        years = [int(y) for y in _YEAR_RE.findall(title)]
        if any(w in title for w in _REVIEW_WORDS) or (year and years and max(years) < year):
            spans.append((node.start, node.end))
    return spans
