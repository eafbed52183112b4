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
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from transforms.numerals import (
    CN_DIGITS,
    NUMBER,
    RANGE_SEPARATOR,
    is_chinese_numeral,
    normalize_width,
    parse_chinese_numeral,
    parse_number,
)


class PlanTextError(Exception):
    """Raised with a Chinese, user-facing message when a plan text is unusable."""


# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

UNITS = (
    "个百分点", "个工作日", "平方米", "工作日", "人次", "家次", "户次", "项次", "场次",
    "批次", "亿元", "万元", "台套", "公里", "公顷", "千瓦", "兆瓦",
    "家", "项", "个", "支", "件", "人", "场", "次", "名", "所", "批", "元", "%",
    "位", "套", "台", "篇", "部", "座", "条", "户", "期", "亩", "吨", "起", "倍",
    "例", "款", "种", "艘", "辆", "处",
)
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_SUFFIXES = ("及以上", "以上", "以下", "以内", "左右", "上下")

_TARGET_RE = re.compile(
    rf"(?P<pct>百分之)?(?P<num>{NUMBER})"
    rf"(?:[ \t]?{RANGE_SEPARATOR}[ \t]?(?P<num2>{NUMBER}))?"
    rf"(?P<vague>[余多])?[ \t]?"
    rf"(?P<unit>(?:{_UNIT_RE})(?:\((?:{_UNIT_RE})\))?)?"
    rf"(?P<suffix>{'|'.join(_SUFFIXES)})?"
)
_DOUBLING_RE = re.compile(r"翻(?P<times>[一两二三]?)番")
_MAGNITUDE_RE = re.compile(
    rf"(?<=突破|达到|超过)(?P<num>[百千万])(?P<unit>{_UNIT_RE})(?P<suffix>以上)?"
)

# A unit followed by these characters is part of another word (部门, 条件 …).
_NOT_A_UNIT = (
    "部门", "部分", "部署", "条件", "条例", "期间", "名单", "名称", "名牌", "次要", "次性",
    "所属", "户籍", "台账", "支持", "支撑", "支出", "支付", "种植", "起步", "起来",
    "起点", "起草", "批准", "批复", "家庭", "元素", "位于", "位居", "例如",
    "处理", "处置", "处室", "处于", "处罚", "处级",
)
# Chinese "一" + these is a vague quantifier, never a target (一批, 一系列 …).
_VAGUE_ONE = ("批", "些", "系列", "起", "种", "大批", "揽子")
# Characters right before a Chinese numeral that make it vague (数十家, 几个).
_VAGUE_BEFORE_CN = "数几每第"

SUFFIX_QUALIFIER = {
    "及以上": "min", "以上": "min", "以下": "max", "以内": "max",
    "左右": "approx", "上下": "approx",
}
# (keyword, qualifier, max chars allowed between keyword and number)
_PREFIX_KEYWORDS = (
    ("不少于", "min", 6), ("不低于", "min", 6), ("至少", "min", 6), ("超过", "min", 6),
    ("突破", "min", 6), ("达到", "min", 6), ("高于", "min", 6), ("多于", "min", 6),
    ("大于", "min", 6), ("确保", "min", 6), ("超", "min", 0), ("逾", "min", 0),
    ("达", "min", 0),
    ("控制在", "max", 6), ("不超过", "max", 6), ("不高于", "max", 6), ("低于", "max", 6),
    ("少于", "max", 6), ("小于", "max", 6), ("不多于", "max", 6), ("压缩至", "max", 6),
    ("压缩到", "max", 6), ("压减至", "max", 6), ("降至", "max", 6), ("降到", "max", 6),
    ("约", "approx", 0), ("近", "approx", 0), ("大约", "approx", 0),
)
# Words ending in a one-character keyword that are not that keyword (签约 ≠ 约).
_COMPOUNDS = (
    "签约", "节约", "制约", "合约", "履约", "特约", "预约", "邀约", "接近", "最近", "附近",
    "邻近", "就近", "赶超", "到达", "下达", "送达", "直达", "抵达", "通达", "传达", "表达",
)
_INCREASE_WORDS = ("增长", "提高", "提升", "增加", "上升", "增幅", "增速", "增")
_DECREASE_WORDS = ("下降", "降低", "减少", "压减", "缩减")
_GROWTH_RATE_WORDS = ("增速", "增幅", "增长率")
_LEVEL_WORDS = (
    "提高到", "提高至", "提升到", "提升至", "增加到", "增加至", "增长到", "增长至",
    "达到", "稳定在", "保持在", "控制在", "占", "比重", "占比", "比例", "率", "为",
)
_QUANTITY_VERBS = (
    "新增", "新建", "新认定", "新培育", "新引进", "建设", "建成", "培育", "引进", "打造",
    "认定", "举办", "开展", "组织", "组建", "设立", "创建", "争创", "布局", "实施", "支持",
    "完成", "招引", "签订", "达成", "发布", "形成", "开发", "获批", "获得", "推出", "培训",
    "选派", "遴选", "筛选", "落地", "转化", "孵化", "推介", "吸引", "征集", "服务", "走访",
    "提供", "建立", "储备", "入驻", "申报", "立项", "资助", "扶持", "奖励", "评选", "促成",
    "解决", "培养", "招聘", "引育", "备案", "登记", "签约", "产出", "共建", "举行", "召开",
    "确保", "力争", "累计", "共", "各", "分别",
)
# Verbs of doing or adding during the year: the figure is a flow.
_NOT_FLOW = ("确保", "力争", "累计", "共", "各", "分别")
FLOW_VERBS = tuple(v for v in _QUANTITY_VERBS if v not in _NOT_FLOW)
_STRETCH_PREFIX_RE = re.compile(r"^(?:力争|争取|冲刺|努力)(?:突破|达到|超过|实现|完成)?$")
_DESCRIPTIVE_RE = re.compile(
    r"(?:对|依托|围绕|针对|面向|聚焦|按照|根据|与|从|(?<!稳定|保持|控制|维持|集中)在|向)"
    r"(?:全市|全县|全区|全省|辖区内?|区内|市内|县内|现有|已有|已认定的?|首批)?$"
)
_PER_CAPITA_RE = re.compile(r"每(?:十万|百万|万|千|百)")
_PER_OTHER_RE = re.compile(r"每(?!年|十万|百万|万|千|百)")

STOCK_WORDS = ("累计", "总数", "总量", "保有量", "存量", "总规模")
LEVEL_VERBS = ("达到", "突破", "超过", "稳定在", "保持在", "提高到", "提升到")
ENTITY_UNITS = frozenset(
    ("家", "个", "所", "名", "人", "支", "位", "座", "户", "台", "套", "台(套)", "台套", "件", "项")
)
RATIO_UNITS = frozenset(("%", "个百分点", "倍"))
# Size units that, before a noun, describe it (500万元以上项目, 超10亿元企业).
THRESHOLD_UNITS = frozenset(("亿元", "万元", "元", "平方米", "亩", "吨", "公里", "%"))
DURATION_UNITS = frozenset(("个工作日", "工作日"))

_CLAUSE_PUNCT = "，,：:。；;！？!?\n"
_SENTENCE_PUNCT = "。；;！？!?\n"
_ASIDE_RE = re.compile(r"\((?=其中|含|包括)")
_QUOTE_PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "〔": "〕", "【": "】"}

_NAME_LEADING = (
    "其中", "争取", "力争", "确保", "努力", "全年", "年内", "今年", "全市", "全县", "全区",
    "到年底", "年底前", "并", "同时", "另外", "此外", "再", "以",
)
_NAME_TRAILING = tuple(
    sorted(
        {k for k, _, _ in _PREFIX_KEYWORDS}
        | {"分别达到", "稳定在", "保持在", "力争", "累计", "各", "分别"}
        | {w for w in _LEVEL_WORDS if len(w) == 3},
        key=len, reverse=True,
    )
)
_NAME_TAIL_STOP = re.compile(r"(?:在|到|纳入|参与|为|以|，|、|；|。)")
_MILESTONE_ADVERBS = (
    "高水平", "进一步", "持续", "积极", "深入", "大力", "着力", "切实", "扎实", "全力", "加快",
)
_MAX_NAME = 30
_MAX_HEADING = 40


# --------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------

_SECTION_MARK = re.compile(r"([一二三四五六七八九十]+)[、.]")
_LINE_MARKS = {
    "arabic_dot": re.compile(r"(\d{1,2})[ \t]*[.、](?!\d)"),
    "cn_paren": re.compile(r"\(([一二三四五六七八九十]+)\)"),
    "arabic_paren": re.compile(r"\((\d{1,2})\)"),
}
_SHI_MARK = re.compile(r"([一二三四五六七八九十]+)是")


@dataclass
class Node:
    """A numbered heading: a section, an item or a sub-task."""

    kind: str
    number: int
    start: int  # where the marker begins
    body: int  # where the text after the marker begins
    end: int = 0  # end of the node's span
    section: int = 0
    item: int = 0
    subtask: int = 0

    def heading_span(self, text: str, limit: int) -> tuple[int, int]:
        """Span of the heading sentence: from the body to the first 。；or line end."""
        stop = min(self.end, limit)
        for pos in range(self.body, stop):
            if text[pos] in _SENTENCE_PUNCT:
                return self.body, pos
        return self.body, stop


@dataclass
class Structure:
    """Sections, items and sub-tasks with a position → context lookup."""

    nodes: list[Node]
    starts: list[int] = field(default_factory=list)
    contexts: list[tuple[int, int, int]] = field(default_factory=list)

    def context(self, pos: int) -> tuple[int, int, int]:
        """(section, item, subtask) of a position in the text."""
        index = bisect.bisect_right(self.starts, pos) - 1
        return self.contexts[index] if index >= 0 else (0, 0, 0)

    @property
    def marker_ends(self) -> list[int]:
        return [node.body for node in self.nodes]


def _number_of(token: str) -> int:
    return int(token) if token.isdigit() else int(parse_chinese_numeral(token))


def _line_markers(norm: str) -> list[tuple[str, int, int, int]]:
    """(kind, number, start, body) of every marker at the start of a line."""
    found = []
    offset = 0
    for line in norm.split("\n"):
        stripped = len(line) - len(line.lstrip(" \t"))
        start = offset + stripped
        section = _SECTION_MARK.match(line, stripped)
        if section:
            found.append(("section", _number_of(section.group(1)), start, offset + section.end()))
        else:
            for kind, pattern in _LINE_MARKS.items():
                mark = pattern.match(line, stripped)
                if mark:
                    found.append((kind, _number_of(mark.group(1)), start, offset + mark.end()))
                    break
        offset += len(line) + 1
    return found


def _sequential(markers: list[tuple[str, int, int, int]], pass_kinds: set[str]) -> list:
    """Keep markers whose numbers follow on (n+1) or restart at 1."""
    kept, last = [], 0
    for marker in markers:
        kind, number = marker[0], marker[1]
        if kind in pass_kinds:
            kept.append(marker)
            continue
        if number in (last + 1, 1):
            kept.append(marker)
            last = number
    return kept


def _inline_subtasks(norm: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """一是/二是 … inside [start, end): (number, marker start, body start)."""
    found, expected = [], 1
    for match in _SHI_MARK.finditer(norm, start, end):
        try:
            number = _number_of(match.group(1))
        except ValueError:
            continue
        before = norm[start:match.start()].rstrip(" \t")
        if before and before[-1] not in _CLAUSE_PUNCT:
            continue
        if number == expected:
            found.append((number, match.start(), match.end()))
            expected += 1
    return found


def parse_structure(text: str) -> Structure:
    """Find sections, items and sub-tasks in a plan text.

    Sections are ``一、`` lines. Items are the first other line-marker kind
    found (``1.`` or ``（一）``); a further kind (``1.`` under ``（一）``, ``（1）``)
    marks sub-tasks, else inline ``一是/二是`` do. Items are numbered in
    document order (1, 2, …) so ids stay unique when the source restarts the
    numbering in each section. A plan with sections only uses them as items.
    """
    norm = normalize_width(text)
    markers = _line_markers(norm)
    other_kinds = [m[0] for m in markers if m[0] != "section"]
    if other_kinds:
        item_kind = other_kinds[0]
    else:  # sections only: they act as items
        markers = [("item", *m[1:]) for m in markers]
        item_kind = "item"
    nodes = _build_nodes(norm, markers, item_kind)
    structure = Structure(nodes)
    for node in nodes:
        structure.starts.append(node.start)
        structure.contexts.append((node.section, node.item, node.subtask))
    return structure


def _build_nodes(norm: str, markers: list, item_kind: str) -> list[Node]:
    sections = _sequential([m for m in markers if m[0] == "section"], set())
    items = _sequential([m for m in markers if m[0] in ("section", item_kind)], {"section"})
    nodes = [Node("section", m[1], m[2], m[3]) for m in sections]
    nodes += [Node("item", m[1], m[2], m[3]) for m in items if m[0] == item_kind]
    nodes.sort(key=lambda n: n.start)
    _set_ends(nodes, len(norm))
    section, counter, subtasks = 0, 0, []
    for node in nodes:
        if node.kind == "section":
            section = node.section = node.number
            continue
        counter += 1
        node.section, node.item = section, counter
        subtasks += _subtasks_of(norm, node, markers, item_kind)
    return sorted(nodes + subtasks, key=lambda n: n.start)


def _subtasks_of(norm: str, item: Node, markers: list, item_kind: str) -> list[Node]:
    """Line-level sub-markers of another kind, or inline 一是/二是 … in an item."""
    line_subs = [
        m for m in markers
        if m[0] not in ("section", item_kind) and item.start < m[2] < item.end
    ]
    line_subs = _sequential(line_subs, set())
    if line_subs:
        found = [(m[1], m[2], m[3]) for m in line_subs]
    else:
        found = _inline_subtasks(norm, item.body, item.end)
    subs = []
    for number, start, body in found:
        subs.append(Node("subtask", number, start, body, section=item.section,
                         item=item.item, subtask=number))
    for current, following in zip(subs, subs[1:], strict=False):
        current.end = following.start
    if subs:
        subs[-1].end = item.end
    return subs


def _set_ends(nodes: list[Node], length: int) -> None:
    """A section ends at the next section; an item at the next item or section."""
    for index, node in enumerate(nodes):
        node.end = length
        for later in nodes[index + 1:]:
            if node.kind == "item" or later.kind == "section":
                node.end = later.start
                break


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------


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


def _quote_mask(norm: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks or title brackets (names, never targets)."""
    spans = []
    for line_start, line in _lines(norm):
        for pos, char in enumerate(line):
            closer = _QUOTE_PAIRS.get(char)
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


def _raw_targets(norm: str) -> list[Target]:
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
    except (ValueError, KeyError):
        return None
    if high is not None and high <= value:
        return None
    return Target(
        num_start=match.start(), num_end=match.end("num2") if num2 else match.end("num"),
        end=match.end(), value=value, high=high, unit=unit,
        suffix=match.group("suffix") or "", vague=match.group("vague") or "",
        chinese=is_chinese_numeral(num),
    )


def _clause_end_after(norm: str, pos: int) -> bool:
    return pos >= len(norm) or norm[pos] in _CLAUSE_PUNCT + "、)）"


def _is_name_or_label(norm: str, target: Target, quotes: list[tuple[int, int]]) -> bool:
    """True when the number is a name, ordinal, date or label rather than a target."""
    start, before = target.num_start, norm[max(0, target.num_start - 1):target.num_start]
    if _inside(quotes, start) or before == "第":
        return True
    if before == "前" and target.unit in ("名", "位"):
        return True
    after = norm[target.end:target.end + 2]
    unit_tail = target.unit[-1] + after[:1]
    if not target.suffix and any(unit_tail.startswith(w) for w in _NOT_A_UNIT):
        return True
    if after[:1] == "+":
        return True
    return target.chinese and _is_vague_chinese(norm, target)


def _is_vague_chinese(norm: str, target: Target) -> bool:
    """Chinese numerals in slogans and vague phrases (一批, 八项规定, 一企一策)."""
    start = target.num_start
    if target.special:
        return False
    if start > 0 and norm[start - 1] in _VAGUE_BEFORE_CN:
        return True
    after_unit = norm[target.end:target.end + 3]
    if target.value == 1 and any(norm[start + 1:].startswith(w) for w in _VAGUE_ONE):
        return True
    if after_unit[:1] in CN_DIGITS:
        return True  # 一家一策, 五位一体
    if target.suffix or target.vague or _clause_end_after(norm, target.end):
        return False
    if target.value == 1:
        return True  # 一个…, 一项… before a noun: not a count
    prefix = norm[max(0, start - 4):start]
    words = _QUANTITY_VERBS + tuple(k for k, _, _ in _PREFIX_KEYWORDS)
    return not any(prefix.endswith(w) for w in words)


# --------------------------------------------------------------------------
# Clauses
# --------------------------------------------------------------------------


class Clauses:
    """Clause boundaries of the text, ignoring punctuation inside numbers and quotes."""

    def __init__(self, norm: str, blocked: list[tuple[int, int]], marker_ends: list[int]):
        starts = {0, *marker_ends}
        ends = set()
        blocked_positions = {p for start, stop in blocked for p in range(start, stop)}
        for pos, char in enumerate(norm):
            if char in _CLAUSE_PUNCT and pos not in blocked_positions:
                starts.add(pos + 1)
                ends.add(pos)
        for match in _ASIDE_RE.finditer(norm):  # （其中…） is a clause of its own
            close = norm.find(")", match.end())
            starts.update({match.start() + 1, close + 1} if close > 0 else {match.start() + 1})
            ends.update({match.start(), close} if close > 0 else {match.start()})
        ends.update(p for p in marker_ends)
        ends.add(len(norm))
        self.starts = sorted(starts)
        self.ends = sorted(ends)

    def bounds(self, pos: int) -> tuple[int, int]:
        start = self.starts[bisect.bisect_right(self.starts, pos) - 1]
        end = self.ends[bisect.bisect_right(self.ends, pos)]
        return start, end


def _assign_texts(norm: str, targets: list[Target], clauses: Clauses) -> None:
    """Give each target its verbatim clause span (split on 、 within a clause)."""
    groups: dict[tuple[int, int], list[Target]] = {}
    for target in targets:
        groups.setdefault(clauses.bounds(target.num_start), []).append(target)
    for target in targets:
        target.continuation = False
    for (start, end), members in groups.items():
        members[0].text_start = start
        for previous, current in zip(members, members[1:], strict=False):
            comma = norm.find("、", previous.end, current.num_start)
            if comma >= 0:
                previous.text_end, current.text_start = comma, comma + 1
                current.continuation = True
            else:
                previous.text_end, current.text_start = previous.end, previous.end
        members[-1].text_end = end
    for target in targets:
        while target.text_start < target.num_start and norm[target.text_start] in " \t":
            target.text_start += 1
        while target.text_end > target.end and norm[target.text_end - 1] in " \t":
            target.text_end -= 1


def _prefix(norm: str, target: Target) -> str:
    return norm[target.text_start:target.num_start]


def _keyword_qualifier(prefix: str) -> str | None:
    """Qualifier implied by the keyword nearest before the number (不少于, 控制在 …)."""
    best: tuple[int, int, str] | None = None
    for word, qualifier, gap in _PREFIX_KEYWORDS:
        index = prefix.rfind(word)
        if index < 0 or _in_compound(prefix, index, word):
            continue
        between = prefix[index + len(word):]
        if len(between) > gap or "、" in between:
            continue
        rank = (index + len(word), len(word), qualifier)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def _in_compound(text: str, index: int, word: str) -> bool:
    """True when a one-character keyword at index ends a longer word (签约, 接近)."""
    return len(word) == 1 and index > 0 and text[index - 1:index + 1] in _COMPOUNDS


def _ratio_kind(prefix: str) -> str | None:
    """'increase', 'decrease' or 'level' from the verb nearest to the number."""
    kind = _nearest_ratio_word(prefix)
    if kind == "level" and any(word in prefix for word in _GROWTH_RATE_WORDS):
        return "increase"  # 增速保持在8%以上 is a growth rate, not a share
    return kind


def _nearest_ratio_word(prefix: str) -> str | None:
    best: tuple[int, int, str] | None = None
    for words, kind in ((_INCREASE_WORDS, "increase"), (_DECREASE_WORDS, "decrease"),
                        (_LEVEL_WORDS, "level")):
        for word in words:
            index = prefix.rfind(word)
            if index < 0:
                continue
            rank = (index + len(word), len(word), kind)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


def _classify(norm: str, target: Target, previous: Target | None) -> None:
    """Set qualifier, ratio kind and sign of a target."""
    prefix = _prefix(norm, target)
    target.basis = prefix
    target.prefix_qualifier = _keyword_qualifier(prefix)
    target.ratio_kind = _ratio_kind(prefix)
    target.per_capita = bool(_PER_CAPITA_RE.search(prefix))
    inherits = (
        target.continuation and previous is not None
        and not target.prefix_qualifier and not _starts_with_verb(prefix)
    )
    if inherits:
        target.basis = previous.basis + prefix
        target.list_index = previous.list_index + 1
        target.prefix_qualifier = previous.prefix_qualifier
        target.ratio_kind = target.ratio_kind or previous.ratio_kind
        target.per_capita = target.per_capita or previous.per_capita
    target.qualifier = _qualifier(target)
    if target.ratio_kind == "decrease" and target.qualifier == "increase_by":
        target.value = -target.value


def _qualifier(target: Target) -> str:
    if target.special == "double":
        return "increase_by"
    if target.high is not None:
        return "range"
    if target.unit in RATIO_UNITS and (
        target.unit == "个百分点" or target.ratio_kind in ("increase", "decrease")
    ):
        if target.unit == "倍":
            target.value, target.unit = target.value * 100, "%"
        return "increase_by"
    explicit = SUFFIX_QUALIFIER.get(target.suffix) or ("min" if target.vague else None)
    qualifier = explicit or target.prefix_qualifier
    if target.unit == "%" and qualifier not in ("approx", "max"):
        return "share"
    return qualifier or "exact"


def _distribute_list_suffix(targets: list[Target]) -> None:
    """甲10项、乙100项、丙15项以上: the list's closing 以上/左右 applies to every member."""
    index = len(targets) - 1
    while index > 0:
        last = targets[index]
        start = index
        while start > 0 and targets[start].continuation:
            start -= 1
        members = targets[start:index]
        if last.suffix and last.qualifier in ("min", "approx", "max") and members:
            for member in members:
                if member.qualifier == "exact" and not member.suffix:
                    member.qualifier = last.qualifier
        index = start - 1


def _starts_with_verb(prefix: str) -> bool:
    return any(prefix.startswith(v) for v in _QUANTITY_VERBS)


def _merge_stretches(norm: str, targets: list[Target]) -> list[Target]:
    """确保…，力争… : the second figure becomes the stretch of the first."""
    merged: list[Target] = []
    for target in targets:
        previous = merged[-1] if merged else None
        if previous is not None and _is_stretch_of(norm, previous, target):
            previous.stretch = target.value
            previous.text_end = target.text_end
            if previous.qualifier == "exact":
                previous.qualifier = "min"
            continue
        merged.append(target)
    return merged


def _is_stretch_of(norm: str, floor: Target, target: Target) -> bool:
    if floor.stretch is not None or floor.unit != target.unit or floor.high is not None:
        return False
    between = norm[floor.end:target.text_start]
    if any(c in _SENTENCE_PUNCT for c in between):
        return False
    return bool(_STRETCH_PREFIX_RE.match(_prefix(norm, target).strip()))


def _drop_unwanted(norm: str, targets: list[Target], quotes: list) -> list[Target]:
    """Remove names, labels, descriptions and per-unit rates."""
    kept = []
    for target in targets:
        if _is_name_or_label(norm, target, quotes):
            continue
        prefix = _prefix(norm, target)
        if _DESCRIPTIVE_RE.search(prefix) or _PER_OTHER_RE.search(prefix):
            continue
        if target.special == "magnitude" and not (
            target.suffix or _clause_end_after(norm, target.end)
        ):
            continue
        kept.append(target)
    return kept


def _drop_thresholds(norm: str, targets: list[Target]) -> list[Target]:
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
    if not between or any(c in _CLAUSE_PUNCT + "、" for c in between):
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


def _is_past(norm: str, target: Target, year: int | None, review: list) -> bool:
    """A figure about an earlier year (工作回顾, 截至2020年底…) is not a target.

    The last time marker before the figure in its sentence decides.
    """
    if any(start <= target.num_start < stop for start, stop in review):
        return True
    start = max(norm.rfind(c, 0, target.num_start) for c in _SENTENCE_PUNCT) + 1
    before = norm[start:target.num_start]
    markers = [(m.start(), year is not None and int(m.group(1)) < year)
               for m in _PAST_YEAR_RE.finditer(before)]
    markers += [(m.start(), True) for m in _PAST_WORDS_RE.finditer(before)]
    markers += [(m.start(), False) for m in _PRESENT_WORDS_RE.finditer(before)]
    return max(markers)[1] if markers else False


def _review_spans(norm: str, structure: Structure, year: int | None) -> list[tuple[int, int]]:
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


def find_targets(text: str, structure: Structure | None = None) -> list[Target]:
    """All quantified targets of a plan text, classified, in document order."""
    norm = normalize_width(text)
    structure = structure or parse_structure(text)
    quotes = _quote_mask(norm)
    raw = _raw_targets(norm)
    blocked = quotes + [(t.num_start, t.num_end) for t in raw]
    clauses = Clauses(norm, blocked, structure.marker_ends)
    _assign_texts(norm, raw, clauses)
    targets = _drop_unwanted(norm, raw, quotes)
    year = plan_year(text)
    review = _review_spans(norm, structure, year)
    targets = [t for t in targets if not _is_past(norm, t, year, review)]
    _assign_texts(norm, targets, clauses)
    targets = _drop_thresholds(norm, targets)
    _assign_texts(norm, targets, clauses)
    previous = None
    for target in targets:
        _classify(norm, target, previous if target.continuation else None)
        previous = target
    _distribute_list_suffix(targets)
    targets = _merge_stretches(norm, targets)
    for index, target in enumerate(targets):
        target.name = _indicator_name(text, target, targets[index - 1] if index else None)
    return targets


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def _strip_words(text: str, leading: tuple[str, ...], trailing: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        text = text.strip(" \t，、；：")
        for word in leading:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word):], True
        for word in trailing:
            if text.endswith(word) and not _in_compound(text, len(text) - len(word), word):
                text, changed = text[: -len(word)], True
    return text


def _indicator_name(text: str, target: Target, previous: Target | None) -> str:
    """A short Chinese name: the clause without fillers, figure and qualifier words."""
    if "分别" in target.basis:
        subject = _respective_subject(target)
        if subject:
            return subject
    name = _strip_words(text[target.text_start:target.num_start], _NAME_LEADING, _NAME_TRAILING)
    tail = text[target.end:target.text_end]
    if tail and re.match(r"[\u4e00-\u9fff“]", tail):
        name += _NAME_TAIL_STOP.split(tail, maxsplit=1)[0]
    same_sentence = previous is not None and not any(
        c in _SENTENCE_PUNCT for c in text[previous.end:target.text_start]
    )
    if same_sentence and target.continuation and not _starts_with_verb(name):
        name = next((v for v in FLOW_VERBS if previous.name.startswith(v)), "") + name
    if same_sentence and (len(name) <= 2 or _BARE_CHANGE_RE.fullmatch(name)):
        name = previous.name + name
    name = _strip_words(name, _NAME_LEADING, ())
    if not name:
        name = text[target.text_start:target.text_end].strip()
    return name[-_MAX_NAME:]


_BARE_CHANGE_RE = re.compile(r"(?:同比|比上年|较上年)?(?:增长|提高|提升|增加|下降|降低)")


def _respective_subject(target: Target) -> str:
    """For 甲、乙分别达到X、Y, the subject that goes with this figure."""
    subjects = _strip_words(target.basis.split("分别")[0], _NAME_LEADING, ())
    names = [s for s in subjects.split("、") if s]
    return names[target.list_index] if target.list_index < len(names) else ""


# --------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------


def _cumulative(target: Target) -> bool:
    """Stock (a level reached) or flow (added during the year)."""
    basis = target.basis
    if any(word in basis for word in STOCK_WORDS):
        return True
    if target.qualifier == "increase_by":
        return False
    if target.qualifier == "share" or target.unit == "%" or target.per_capita:
        return True
    if any(verb in basis for verb in FLOW_VERBS):
        return False
    return target.unit in ENTITY_UNITS and any(verb in basis[-6:] for verb in LEVEL_VERBS)


def _additive(target: Target) -> bool:
    return not (
        target.unit in RATIO_UNITS
        or target.unit in DURATION_UNITS
        or target.qualifier in ("share", "increase_by")
        or target.per_capita
    )


def _indicator_dict(text: str, target: Target, context: tuple[int, int, int],
                    seq: int) -> dict:
    section, item, subtask = context
    additive = _additive(target)
    return {
        "id": f"I{item:02d}-{subtask}-{seq}",
        "kind": "indicator",
        "section": section,
        "item": item,
        "subtask": subtask,
        "text": text[target.text_start:target.text_end],
        "name": target.name,
        "unit": target.unit,
        "target": target.value,
        "stretch": target.stretch,
        "range_max": target.high,
        "qualifier": target.qualifier,
        "cumulative": _cumulative(target),
        "additive": additive,
        "pacing": "linear" if additive else "year_end",
    }


def _milestone_name(heading: str) -> str:
    comma = _first_comma(heading, 0, len(heading))
    name = heading[:comma] if comma > 0 else heading
    for adverb in _MILESTONE_ADVERBS:
        if name.startswith(adverb) and len(name) > len(adverb) + 2:
            name = name[len(adverb):]
    name = name.replace("《", "").replace("》", "")
    return name[:_MAX_NAME]


def _first_comma(text: str, start: int, stop: int) -> int:
    """Position of the first ，or , outside quotation marks, or -1."""
    depth = 0
    for pos in range(start, stop):
        char = text[pos]
        if char in _QUOTE_PAIRS:
            depth += 1
        elif char in _QUOTE_PAIRS.values():
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


def _milestones(text: str, structure: Structure, targets: list[Target]) -> list[dict]:
    positions = [t.num_start for t in targets]
    items_with_subs = {n.item for n in structure.nodes if n.kind == "subtask"}
    review = _review_spans(normalize_width(text), structure, plan_year(text))
    out = []
    for node in structure.nodes:
        if node.kind == "section" or (node.kind == "item" and node.item in items_with_subs):
            continue
        if any(start <= node.start < stop for start, stop in review):
            continue
        limit = node.end
        if node.kind == "item":
            limit = min([n.start for n in structure.nodes
                         if n.kind == "subtask" and n.item == node.item] or [node.end])
        start, stop = node.heading_span(text, limit)
        if stop <= start or any(start <= p < stop for p in positions):
            continue
        start, stop = _heading_text(text, start, stop)
        heading = text[start:stop]
        out.append({
            "id": f"M{node.item:02d}-{node.subtask}",
            "kind": "milestone",
            "section": node.section,
            "item": node.item,
            "subtask": node.subtask,
            "text": heading,
            "name": _milestone_name(heading),
            "unit": None, "target": None, "stretch": None, "range_max": None,
            "qualifier": None, "cumulative": None, "additive": None,
        })
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


def extract_catalog(text: str) -> list[dict]:
    """Draft catalog of a plan text: indicators, then milestones.

    Raises PlanTextError (Chinese message) when the text holds no quantified target.
    """
    if not text or not text.strip():
        raise PlanTextError("文本为空：没有可以提取的内容。")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    structure = parse_structure(text)
    targets = find_targets(text, structure)
    indicators = _indicators(text, structure, targets)
    if not indicators:
        raise PlanTextError(
            "未在文本中找到任何量化目标（如“新增…10家以上”“占比达到3%”）。"
            "请确认文件是年度工作要点或工作计划的正文。"
        )
    return indicators + _milestones(text, structure, targets)


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF", "PDF 文件"),
    (b"PK\x03\x04", "Word/Excel（.docx/.xlsx）或压缩包"),
    (b"\xd0\xcf\x11\xe0", "旧版 Word/Excel（.doc/.xls）文件"),
    (b"{\\rtf", "RTF 文件"),
)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SAVE_AS_TEXT = "请把正文另存为纯文本（.txt，UTF-8 或 GBK 编码）后再试。"


def _decode(data: bytes, path: Path) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                message = f"{path} 不是有效的文本文件：编码损坏。{_SAVE_AS_TEXT}"
                raise PlanTextError(message) from exc
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise PlanTextError(f"{path} 不是文本文件（看起来是{what}）。{_SAVE_AS_TEXT}")
    if b"\x00" in data:
        raise PlanTextError(f"{path} 不是文本文件（含有二进制内容）。{_SAVE_AS_TEXT}")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanTextError(f"{path} 不是文本文件：无法按 UTF-8 或 GBK 解码。{_SAVE_AS_TEXT}")


def _is_control(char: str) -> bool:
    code = ord(char)
    return (
        (code < 32 and char not in "\t\n\r\f\v")
        or 0x7F <= code < 0xA0
        or 0xE000 <= code <= 0xF8FF
        or char == "\ufffd"
    )


def _is_common(char: str) -> bool:
    """ASCII, CJK ideographs and the punctuation and symbols of Chinese prose."""
    code = ord(char)
    return (
        32 <= code < 127
        or char in "\t\n\r\f\v·×÷°±"
        or 0x4E00 <= code <= 0x9FFF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2000 <= code <= 0x2BFF
        or 0x3400 <= code <= 0x4DBF
    )


def _looks_like_text(text: str) -> bool:
    """Mostly readable characters (binary data decoded by luck is not)."""
    sample = text[:20000]
    control = sum(1 for c in sample if _is_control(c))
    uncommon = sum(1 for c in sample if not _is_common(c))
    return control <= len(sample) // 200 and uncommon <= max(1, len(sample) // 10)


def read_plan_text(path: Path) -> str:
    """Read a plan text file: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030.

    Raises PlanTextError (Chinese message) for missing files, directories,
    empty files and binary files.
    """
    path = Path(path)
    if not path.exists():
        raise PlanTextError(f"找不到文件：{path}")
    if path.is_dir():
        raise PlanTextError(f"{path} 是一个文件夹，不是文本文件。请指定计划正文的 .txt 文件。")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanTextError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
    if not data.strip():
        raise PlanTextError(f"文件为空：{path}")
    text = _decode(data, path).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise PlanTextError(f"文件为空：{path}")
    if not _looks_like_text(text):
        raise PlanTextError(f"{path} 不是文本文件（大部分内容不是文字）。{_SAVE_AS_TEXT}")
    return text
