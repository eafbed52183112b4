"""Pass 2c: a short Chinese name for each target, from the words of its clause."""

from __future__ import annotations

import re

from plantrack.extract.clauses import in_compound, starts_with_verb
from plantrack.extract.targets import Target
from plantrack.extract.vocabulary import (
    FLOW_VERBS,
    NAME_LEADING,
    NAME_TAIL_STOP,
    NAME_TRAILING,
    SENTENCE_PUNCT,
)

MAX_NAME = 30


def _strip_words(text: str, leading: tuple[str, ...], trailing: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        text = text.strip(" \t，、；：")
        for word in leading:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word):], True
        for word in trailing:
            if text.endswith(word) and not in_compound(text, len(text) - len(word), word):
                text, changed = text[: -len(word)], True
    return text


def indicator_name(text: str, target: Target, previous: Target | None) -> str:
    """A short Chinese name: the clause without fillers, figure and qualifier words."""
    if "分别" in target.basis:
        subject = _respective_subject(target)
        if subject:
            return subject
    name = _strip_words(text[target.text_start:target.num_start], NAME_LEADING, NAME_TRAILING)
    tail = text[target.end:target.text_end]
    if tail and re.match(r"[\u4e00-\u9fff“]", tail):
        name += NAME_TAIL_STOP.split(tail, maxsplit=1)[0]
    same_sentence = previous is not None and not any(
        c in SENTENCE_PUNCT for c in text[previous.end:target.text_start]
    )
    if same_sentence and target.continuation and not starts_with_verb(name):
        name = next((v for v in FLOW_VERBS if previous.name.startswith(v)), "") + name
    if same_sentence and (len(name) <= 2 or _BARE_CHANGE_RE.fullmatch(name)):
        name = previous.name + name
    name = _strip_words(name, NAME_LEADING, ())
    if not name:
        name = text[target.text_start:target.text_end].strip()
    return name[-MAX_NAME:]


_BARE_CHANGE_RE = re.compile(r"(?:同比|比上年|较上年)?(?:增长|提高|提升|增加|下降|降低)")


def _respective_subject(target: Target) -> str:
    """For 甲、乙分别达到X、Y, the subject that goes with this figure."""
    subjects = _strip_words(target.basis.split("分别")[0], NAME_LEADING, ())
    names = [s for s in subjects.split("、") if s]
    return names[target.list_index] if target.list_index < len(names) else ""
