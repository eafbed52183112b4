"""Pass 2c: a short Chinese name for each target, from the words of its clause."""

from __future__ import annotations

import re

from plantrack.extract.clauses import in_compound, starts_with_verb
from plantrack.extract.targets import Target
from plantrack.extract.vocabulary import (
    FLOW_VERBS,
    LEVEL_ONLY_RE,
    NAME_LEADING,
    NAME_PREFIX_RE,
    NAME_TAIL_STOP,
    NAME_TRAILING,
    SENTENCE_PUNCT,
    SHARED_TAIL_RE,
    STOCK_WORDS,
    SUBJECT_LEADING,
)

MAX_NAME = 30


def _strip_words(text: str, leading: tuple[str, ...], trailing: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        # and an opening mark left at the end, a closing one at the start (选派科技特派员“80”人)
        text = text.strip(" \t\n，、；：").rstrip("“‘《（(「『").lstrip("”’》）)」』")
        dated = NAME_PREFIX_RE.sub("", text)
        if dated != text and dated:
            text, changed = dated, True
        for word in leading:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word) :], True
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
    name = _strip_words(text[target.text_start : target.num_start], NAME_LEADING, NAME_TRAILING)
    tail = text[target.end : target.text_end]
    if tail and re.match(r"[\u4e00-\u9fff“]", tail):
        name += NAME_TAIL_STOP.split(tail, maxsplit=1)[0]
    same_sentence = previous is not None and not any(
        c in SENTENCE_PUNCT for c in text[previous.end : target.text_start]
    )
    if same_sentence and target.continuation and not starts_with_verb(name):
        name = _leading_verb(previous.name) + name
    own_prefix = text[target.text_start : target.num_start]
    if same_sentence and LEVEL_ONLY_RE.fullmatch(name):
        name = _with_level(previous.name, name)
    elif same_sentence and (len(name) <= 2 or _BARE_CHANGE_RE.fullmatch(name)):
        stock = next((w for w in STOCK_WORDS if w in own_prefix), None)
        name = _stock_of(previous.name, stock) if stock else previous.name + name
    name = _QUALIFIER_BEFORE_VERB_RE.sub("", _strip_words(name, NAME_LEADING, ()))
    if not name:
        name = text[target.text_start : target.text_end].strip()
    return name[-MAX_NAME:]


# 技术合同成交额确保增长10%: the qualifier is the target's (确保/力争), not the name's.
_QUALIFIER_BEFORE_VERB_RE = re.compile(
    r"(?<=[\u4e00-\u9fff])(?:确保|力争|争取|努力)(?=增长|提高|提升|达到|突破|超过|下降|降低|减少|控制在)"
)


_LEVEL_IN_NAME_RE = re.compile(r"(?:国家|省|市|县|区)级(?:及)?(?:以上)?")


def _with_level(previous: str, level: str) -> str:
    """其中省级以上5家 after 新培育市级以上龙头企业20家: 新培育省级以上龙头企业."""
    level = level.removeprefix("其中")
    if _LEVEL_IN_NAME_RE.search(previous):
        return "其中" + _LEVEL_IN_NAME_RE.sub(level, previous, count=1)
    return "其中" + level + previous


def _leading_verb(name: str) -> str:
    """The verb a name starts with (新建, 新创建, 培育 …), or ''."""
    for start in ("新", ""):
        rest = name.removeprefix(start) if start else name
        if start and rest == name:
            continue
        verb = next((v for v in FLOW_VERBS if rest.startswith(v)), "")
        if verb:
            return start + verb
    return ""


def _stock_of(previous: str, word: str) -> str:
    """累计达到6500个 after 新建5G基站1200个: 5G基站累计, not 新建5G基站."""
    return previous[len(_leading_verb(previous)) :] + word


_BARE_CHANGE_RE = re.compile(r"(?:同比|比上年|较上年)?(?:增长|提高|提升|增加|下降|降低)")


def _respective_subject(target: Target) -> str:
    """For 甲、乙分别达到X、Y, the subject that goes with this figure."""
    subjects = _strip_words(target.basis.split("分别")[0], NAME_LEADING + SUBJECT_LEADING, ())
    names = [s for s in subjects.split("、") if s]
    shared = SHARED_TAIL_RE.search(names[-1]) if names else None
    if shared and shared.start() > 0:  # 新能源、新材料两大产业集群营业收入
        tail = names[-1][shared.end() :]
        names = [n + tail for n in names[:-1]] + [names[-1][: shared.start()] + tail]
    return names[target.list_index] if target.list_index < len(names) else ""


_CHANGE_TAIL_RE = re.compile(r"(?:同比|比上年|较上年)?(?:增长|增速|增幅|提高|提升|下降|降低|降幅)$")


def _core(name: str) -> str:
    return _CHANGE_TAIL_RE.sub("", name)


def merge_restatements(text: str, targets: list[Target]) -> list[Target]:
    """A headline target restated in the body (确保规上工业增加值增长7%) is one target.

    A later figure with the same value, range and unit whose name contains the earlier
    one's, or is contained in it, in another sentence, restates it: the first keeps its
    place and takes the stretch or qualifier the restatement adds.
    """
    kept: list[Target] = []
    for target in targets:
        original = next((k for k in kept if _restates(text, k, target)), None)
        if original is None:
            kept.append(target)
            continue
        original.restated_at.append(target.num_start)
        if original.stretch is None and target.stretch is not None:
            original.stretch = target.stretch
        if original.qualifier == "exact" and target.qualifier != "exact":
            original.qualifier = target.qualifier
    return kept


def _restates(text: str, first: Target, later: Target) -> bool:
    if (first.unit, first.value, first.high) != (later.unit, later.value, later.high):
        return False
    if not any(c in SENTENCE_PUNCT for c in text[first.end : later.num_start]):
        return False
    a, b = _core(first.name), _core(later.name)
    return bool(a and b) and (a in b or b in a)
