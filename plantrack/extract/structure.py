"""Pass 1: the sections, items and sub-tasks of a plan text and their headings."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from plantrack.extract.vocabulary import CLAUSE_PUNCT, SENTENCE_PUNCT
from transforms.numerals import normalize_width, parse_chinese_numeral

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
            if text[pos] in SENTENCE_PUNCT:
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
        before = norm[start : match.start()].rstrip(" \t")
        if before and before[-1] not in CLAUSE_PUNCT:
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
    # Items are the first other kind of marker inside the sections: a review numbered
    # 1./2. before the first section (第一部分 2024年工作总结) does not decide it.
    first_section = next((m[2] for m in markers if m[0] == "section"), -1)
    other_kinds = [m[0] for m in markers if m[0] != "section" and m[2] > first_section]
    other_kinds = other_kinds or [m[0] for m in markers if m[0] != "section"]
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
    line_subs = [m for m in markers if m[0] not in ("section", item_kind) and item.start < m[2] < item.end]
    line_subs = _sequential(line_subs, set())
    if line_subs:
        found = [(m[1], m[2], m[3]) for m in line_subs]
    else:
        found = _inline_subtasks(norm, item.body, item.end)
    subs = []
    for number, start, body in found:
        subs.append(
            Node("subtask", number, start, body, section=item.section, item=item.item, subtask=number)
        )
    for current, following in zip(subs, subs[1:], strict=False):
        current.end = following.start
    if subs:
        subs[-1].end = item.end
    return subs


def _set_ends(nodes: list[Node], length: int) -> None:
    """A section ends at the next section; an item at the next item or section."""
    for index, node in enumerate(nodes):
        node.end = length
        for later in nodes[index + 1 :]:
            if node.kind == "item" or later.kind == "section":
                node.end = later.start
                break
