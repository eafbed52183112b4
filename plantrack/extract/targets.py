"""Pass 2a: every figure with a unit in the text, minus those that are not targets.

A figure is dropped when it is a name, ordinal, date or label, a vague
quantifier (一批, 数十家), a description (对全市…家企业), a per-unit rate, the
size in front of a noun (500万元以上项目) or a figure about an earlier year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plantrack.extract.vocabulary import (
    CAPACITY_WORDS,
    CLAUSE_PUNCT,
    DESCRIPTIVE_RE,
    FLOW_VERBS,
    MAGNITUDE_UNITS,
    NOT_A_UNIT,
    PER_OTHER_RE,
    PREFIX_KEYWORDS,
    QUANTITY_VERBS,
    QUOTE_PAIRS,
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
    parse_chinese_numeral,
    parse_number,
)

# Copy artefacts tolerated between a figure, its unit and its suffix: a space, a stray
# quotation mark (300”家次), a line break inside 以上 (repaired to a space beforehand).
_GAP = r"[ \t]?[\"”“’]?[ \t]?"
_SUFFIX_RE = "|".join("[ \t]?".join(suffix) for suffix in SUFFIXES)
_TARGET_RE = re.compile(
    rf"(?P<pct>百分之)?(?P<num>{NUMBER})"
    rf"(?:[ \t]?{RANGE_SEPARATOR}[ \t]?(?P<num2>{NUMBER}))?"
    rf"(?P<vague>[余多])?{_GAP}"
    rf"(?P<unit>(?:{UNIT_RE})(?:\((?:{UNIT_RE})\))?)?"
    rf"(?:[ \t]?(?P<suffix>{_SUFFIX_RE}))?"
)
_DOUBLING_RE = re.compile(r"翻(?P<times>[一两二三]?)番")
_MAGNITUDE_RE = re.compile(rf"(?<=突破|达到|超过)(?P<num>[百千万])(?P<unit>{UNIT_RE})(?P<suffix>以上)?")


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
    restated_at: list[int] = field(default_factory=list)  # where the body repeats it
    past_nearby: bool = False  # last year's figures share its paragraph


def clause_prefix(norm: str, target: Target) -> str:
    """The words of the target's clause before its figure (verb, keyword, subject)."""
    return norm[target.text_start : target.num_start]


def quote_mask(norm: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks or title brackets (names, never targets)."""
    spans = []
    for line_start, line in _lines(norm):
        for pos, char in enumerate(line):
            closer = QUOTE_PAIRS.get(char)
            if closer:
                close = line.find(closer, pos + 1)
                if close > 0 and not _bare_figure(line[pos + 1 : close]):
                    spans.append((line_start + pos, line_start + close + 1))
        quotes = [i for i, c in enumerate(line) if c == '"']
        for open_, close in zip(quotes[::2], quotes[1::2], strict=False):
            if not _bare_figure(line[open_ + 1 : close]):
                spans.append((line_start + open_, line_start + close + 1))
    return spans


def _bare_figure(quoted: str) -> bool:
    """“80”人: quotes around a bare Arabic figure are a copy artefact, not a name."""
    return bool(re.fullmatch(r"[\d.,]+", quoted))


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
        found.append(
            Target(match.start(), match.end(), match.end(), (2**times - 1) * 100, None, "%", special="double")
        )
    for match in _MAGNITUDE_RE.finditer(norm):
        value = parse_chinese_numeral(match.group("num"))
        found.append(
            Target(
                match.start(),
                match.end("num"),
                match.end(),
                value,
                None,
                match.group("unit"),
                suffix=match.group("suffix") or "",
                chinese=True,
                special="magnitude",
            )
        )
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
    magnitude = (num2 or num)[-1]
    if magnitude in MAGNITUDE_UNITS.get(unit, ""):  # 2亿美元, 180万亩: the unit keeps 万/亿
        unit = magnitude + unit
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
        num_start=match.start(),
        num_end=match.end("num2") if num2 else match.end("num"),
        end=match.end(),
        value=value,
        high=high,
        unit=unit,
        suffix=re.sub(r"\s", "", match.group("suffix") or ""),
        vague=match.group("vague") or "",
        chinese=is_chinese_numeral(num),
    )


def clause_end_after(norm: str, pos: int) -> bool:
    return pos >= len(norm) or norm[pos] in CLAUSE_PUNCT + "、)）"


def _is_name_or_label(norm: str, target: Target, quotes: list[tuple[int, int]]) -> bool:
    """True when the number is a name, ordinal, date or label rather than a target."""
    start, before = target.num_start, norm[max(0, target.num_start - 1) : target.num_start]
    if _inside(quotes, start) or before == "第":
        return True
    if before == "前" and target.unit in ("名", "位"):
        return True
    after = norm[target.end : target.end + 2]
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
    after_unit = norm[target.end : target.end + 3]
    if target.value == 1 and any(norm[start + 1 :].startswith(w) for w in VAGUE_ONE):
        return True
    if after_unit[:1] in CN_DIGITS:
        return True  # 一家一策, 五位一体
    if target.suffix or target.vague or clause_end_after(norm, target.end):
        return False
    if target.value == 1:
        return True  # 一个…, 一项… before a noun: not a count
    prefix = norm[max(0, start - 4) : start]
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
        if _describes_a_noun(norm, target) or _is_capacity(prefix):
            continue
        if target.special == "magnitude" and not (target.suffix or clause_end_after(norm, target.end)):
            continue
        kept.append(target)
    return kept


def _describes_a_noun(norm: str, target: Target) -> bool:
    """低于5%的企业, 总投资85亿元的项目, 5万元以下的村: a figure before 的 describes what follows."""
    return norm[target.end : target.end + 2].lstrip(" \t")[:1] == "的"


def _is_capacity(prefix: str) -> bool:
    """年产能20GWh, 建成后年加工能力15万吨: the size of a project, not a target of the year."""
    return any(word in prefix for word in CAPACITY_WORDS)


def drop_described_lists(norm: str, kept: list[Target], raw: list[Target]) -> list[Target]:
    """投资3.2亿元、年产5万吨有机肥的项目: a size listed with a dropped description is one too."""
    dropped = [t for t in raw if t not in kept]
    out = []
    for target in kept:
        following = next((t for t in dropped if t.num_start > target.end), None)
        listed = (
            following is not None
            and target.unit in THRESHOLD_UNITS
            and norm[target.end : following.text_start].strip(" \t") == "、"
            and _is_capacity(clause_prefix(norm, following))
        )
        if not listed:
            out.append(target)
    return out


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
    between = norm[target.end : following.num_start]
    if not between or any(c in CLAUSE_PUNCT + "、" for c in between):
        return False
    if not re.match(r"[\u4e00-\u9fff]", between) or following.text_start > target.end:
        return False
    return not any(verb in between for verb in FLOW_VERBS)
