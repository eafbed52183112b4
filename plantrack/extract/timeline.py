"""Which year a figure speaks of: the plan's year, or an earlier one (results, reviews).

Plan texts open with last year's results before the year's targets: a numbered review
section (2023年工作回顾, 主要工作成效, 存在的问题), an unnumbered one (第一部分 2024年工作总结),
or a paragraph (过去一年…, 2023年，全市…). A plan written late in the previous year says
今年以来 and 1-10月 of that year. The last time marker before a figure, within its
paragraph and numbered part, decides whether the figure is about an earlier year.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from plantrack.extract.structure import Structure
from transforms.numerals import normalize_width

_PLAN_TITLE_RE = re.compile(r"(\d{4})年(?:(?!\d{4}年)[^\n。]){0,30}?(?:工作要点|工作计划|要点|计划|安排)")
_DATE_RE = re.compile(r"(\d{4})(?:年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2})")
_YEAR_RE = re.compile(r"(\d{4})年")
_PAST_YEAR_RE = re.compile(r"(?<![较比与以在同])(\d{4})年")  # not 较2020年 (a baseline)
_PAST_WORDS_RE = re.compile(r"去年|过去一年|一年来|过去的一年|上一年度")
_PRESENT_WORDS_RE = re.compile(r"今年|本年")
# Results up to a month of the year of writing (1-10月, 前三季度): last year's, in a plan
# written before its year began.
_SO_FAR_RE = re.compile(
    r"(?<![\d年])[1一][ \t]*[-—–~至到][ \t]*(?:\d{1,2}|[二三四五六七八九十]{1,2})月|前三季度|上半年"
)
_REVIEW_WORDS = (
    "回顾",
    "总结",
    "完成情况",
    "主要成效",
    "工作成效",
    "主要成绩",
    "存在的问题",
    "存在问题",
    "问题与不足",
    "困难和问题",
)
_PLAN_WORDS = ("计划", "要点", "安排", "思路", "目标", "任务", "举措", "重点工作")
_HEADING_MAX = 40
_MARK_RE = re.compile(
    r"[ \t]*(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)"
    r"|\d{1,2}[.、](?!\d))?"
)


def plan_year(text: str) -> int | None:
    """The year the plan is for, from its title (2021年全市科技工作要点 → 2021)."""
    match = _PLAN_TITLE_RE.search(normalize_width(text))
    return int(match.group(1)) if match else None


def written_year(text: str) -> int | None:
    """The year the document was written: its first full date (成文日期, the date under the signature)."""
    match = _DATE_RE.search(normalize_width(text))
    return int(match.group(1)) if match else None


@dataclass
class Timeline:
    year: int | None
    written: int | None
    review: list[tuple[int, int]]
    scope_starts: list[int]  # where a numbered part begins: a time marker does not cross it

    @property
    def written_before(self) -> bool:
        """今年 means last year: the plan was written before its year began."""
        return self.year is not None and self.written is not None and self.written < self.year

    def in_review(self, pos: int) -> bool:
        return any(start <= pos < stop for start, stop in self.review)

    def is_past(self, norm: str, pos: int) -> bool:
        """A figure about an earlier year (工作回顾, 截至2020年底…, 今年以来 in a plan for next year)."""
        if self.in_review(pos):
            return True
        markers = self._markers(norm, pos)
        return max(markers)[1] if markers else False

    def past_nearby(self, norm: str, pos: int) -> bool:
        """A target whose paragraph also speaks of an earlier year: a reviewer should look."""
        return any(past for _, past in self._markers(norm, pos))

    def _markers(self, norm: str, pos: int) -> list[tuple[int, bool]]:
        """(position, about an earlier year?) of the time markers before pos in its scope."""
        index = bisect.bisect_right(self.scope_starts, pos) - 1
        start = max(norm.rfind("\n", 0, pos) + 1, self.scope_starts[index] if index >= 0 else 0)
        before = norm[start:pos]
        markers = [
            (m.start(), self.year is not None and int(m.group(1)) < self.year)
            for m in _PAST_YEAR_RE.finditer(before)
        ]
        markers += [(m.start(), True) for m in _PAST_WORDS_RE.finditer(before)]
        markers += [(m.start(), self.written_before) for m in _PRESENT_WORDS_RE.finditer(before)]
        if self.written_before:
            markers += [(m.start(), True) for m in _SO_FAR_RE.finditer(before)]
        return markers


def timeline(text: str, norm: str, structure: Structure, year: int | None = None) -> Timeline:
    year = year or plan_year(text)
    review = _review_sections(norm, structure, year) + _review_headings(norm, year)
    return Timeline(year, written_year(text), review, structure.marker_ends)


def review_spans(text: str, structure: Structure, year: int | None = None) -> list[tuple[int, int]]:
    """Spans of the text that review earlier years (used to leave them out of milestones)."""
    norm = normalize_width(text)
    return timeline(text, norm, structure, year).review


def _review_sections(norm: str, structure: Structure, year: int | None) -> list[tuple[int, int]]:
    """Numbered sections that review last year's work (2020年工作回顾)."""
    spans = []
    for node in structure.nodes:
        if node.kind != "section":
            continue
        title = norm[slice(*node.heading_span(norm, node.end))]
        years = [int(y) for y in _YEAR_RE.findall(title)]
        if _is_review_title(title, year) or (year and years and max(years) < year):
            spans.append((node.start, node.end))
    return spans


def _is_review_title(title: str, year: int | None) -> bool:
    if any(w in title for w in _PLAN_WORDS):
        return False  # 2023年工作总结及2024年工作计划 is the whole document's title
    years = [int(y) for y in _YEAR_RE.findall(title)]
    return any(w in title for w in _REVIEW_WORDS) or bool(year and years and max(years) < year)


def _review_headings(norm: str, year: int | None) -> list[tuple[int, int]]:
    """Heading lines that open a review (第一部分 2024年工作总结, 主要工作成效).

    The review runs to the next heading of the same kind that is not a review, or to a
    heading of any kind that names the plan's year or its tasks (2025年工作计划, 重点任务).
    """
    spans, open_at, open_kind = [], None, None
    offset = 0
    for line in norm.split("\n"):
        heading = _heading(line)
        if heading is not None:
            kind, title = heading
            is_review = _is_review_title(title, year)
            names_plan = any(w in title for w in _PLAN_WORDS) or (year is not None and str(year) in title)
            if open_at is not None and not is_review and (kind == open_kind or names_plan):
                spans.append((open_at, offset))
                open_at = None
            if open_at is None and is_review:
                open_at, open_kind = offset, kind
        offset += len(line) + 1
    if open_at is not None:
        spans.append((open_at, len(norm)))
    return spans


def _heading(line: str) -> tuple[str, str] | None:
    """(marker kind, title) of a short line without sentence punctuation, else None."""
    stripped = line.strip(" \t")
    if not stripped or len(stripped) > _HEADING_MAX or any(c in stripped for c in "。；;，,："):
        return None
    mark = _MARK_RE.match(stripped)
    token = mark.group(1) or ""
    kind = re.sub(r"[一二三四五六七八九十\d]+", "N", token)
    return kind, stripped[len(token) :]
