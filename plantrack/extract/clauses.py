"""Pass 2b: the clause each target belongs to, and what its wording says about it.

A target's clause gives its verbatim text and the words before the figure;
those words decide the qualifier (min, max, approx, range, share,
increase_by), whether it is a ratio that rises or falls, and whether a
second figure (确保…，力争…) is its stretch.
"""

from __future__ import annotations

import bisect

from plantrack.extract.targets import Target, clause_prefix
from plantrack.extract.vocabulary import (
    ASIDE_RE,
    CLAUSE_PUNCT,
    COMPOUNDS,
    DECREASE_WORDS,
    GROWTH_RATE_WORDS,
    INCREASE_WORDS,
    LEVEL_WORDS,
    PER_CAPITA_RE,
    PREFIX_KEYWORDS,
    QUANTITY_VERBS,
    RATIO_UNITS,
    SENTENCE_PUNCT,
    STRETCH_WORDS,
    SUFFIX_QUALIFIER,
)


class Clauses:
    """Clause boundaries of the text, ignoring punctuation inside numbers and quotes."""

    def __init__(self, norm: str, blocked: list[tuple[int, int]], marker_ends: list[int]):
        starts = {0, *marker_ends}
        ends = set()
        blocked_positions = {p for start, stop in blocked for p in range(start, stop)}
        for pos, char in enumerate(norm):
            if char in CLAUSE_PUNCT and pos not in blocked_positions:
                starts.add(pos + 1)
                ends.add(pos)
        for match in ASIDE_RE.finditer(norm):  # （其中…） is a clause of its own
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


def assign_texts(norm: str, targets: list[Target], clauses: Clauses) -> None:
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


def _keyword_qualifier(prefix: str) -> str | None:
    """Qualifier implied by the keyword nearest before the number (不少于, 控制在 …)."""
    best: tuple[int, int, str] | None = None
    for word, qualifier, gap in PREFIX_KEYWORDS:
        index = prefix.rfind(word)
        if index < 0 or in_compound(prefix, index, word):
            continue
        between = prefix[index + len(word) :]
        if len(between) > gap or "、" in between:
            continue
        rank = (index + len(word), len(word), qualifier)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def in_compound(text: str, index: int, word: str) -> bool:
    """True when a one-character keyword at index ends a longer word (签约, 接近)."""
    return len(word) == 1 and index > 0 and text[index - 1 : index + 1] in COMPOUNDS


def _ratio_kind(prefix: str) -> str | None:
    """'increase', 'decrease' or 'level' from the verb nearest to the number."""
    kind = _nearest_ratio_word(prefix)
    if kind == "level" and any(word in prefix for word in GROWTH_RATE_WORDS):
        return "increase"  # 增速保持在8%以上 is a growth rate, not a share
    return kind


def _nearest_ratio_word(prefix: str) -> str | None:
    best: tuple[int, int, str] | None = None
    for words, kind in ((INCREASE_WORDS, "increase"), (DECREASE_WORDS, "decrease"), (LEVEL_WORDS, "level")):
        for word in words:
            index = prefix.rfind(word)
            if index < 0:
                continue
            rank = (index + len(word), len(word), kind)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


def classify(norm: str, target: Target, previous: Target | None) -> None:
    """Set qualifier, ratio kind and sign of a target."""
    prefix = clause_prefix(norm, target)
    target.basis = prefix
    target.prefix_qualifier = _keyword_qualifier(prefix)
    target.ratio_kind = _ratio_kind(prefix)
    target.per_capita = bool(PER_CAPITA_RE.search(prefix))
    inherits = (
        target.continuation
        and previous is not None
        and not target.prefix_qualifier
        and not starts_with_verb(prefix)
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


def distribute_list_suffix(targets: list[Target]) -> None:
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


def starts_with_verb(prefix: str) -> bool:
    return any(prefix.startswith(v) for v in QUANTITY_VERBS)


def merge_stretches(norm: str, targets: list[Target]) -> list[Target]:
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
    between = norm[floor.end : target.text_start]
    if any(c in SENTENCE_PUNCT for c in between):
        return False
    return is_stretch_wording(clause_prefix(norm, target).strip())


_STRETCH_TAIL = tuple(
    sorted(
        set(QUANTITY_VERBS)
        | set(LEVEL_WORDS)
        | set(INCREASE_WORDS)
        | {word for word, _, _ in PREFIX_KEYWORDS}
        | {"实现", "全年", "年内", "再"},
        key=len,
        reverse=True,
    )
)


def is_stretch_wording(prefix: str) -> bool:
    """力争, 争取达到, 努力新增 …: a stretch word and at most two verbs, no new subject."""
    word = next((w for w in STRETCH_WORDS if prefix.startswith(w)), None)
    if word is None:
        return False
    rest = prefix[len(word) :]
    for _ in range(2):
        verb = next((v for v in _STRETCH_TAIL if rest.startswith(v)), "")
        rest = rest[len(verb) :]
    return rest == ""
