"""Copy artefacts of plan texts taken from PDF or web pages, repaired before reading figures.

A PDF copied as text breaks long lines wherever the page ended (稳定在95%以⏎上). A line
that stops mid-sentence and is followed by a line that does not start a heading is the
same paragraph: its line break becomes a space, so the text keeps its length and every
position still points into the original.
"""

from __future__ import annotations

import re

from plantrack.extract.vocabulary import CLAUSE_PUNCT

# A line starting like this begins a heading or a numbered paragraph, never a continuation.
_HEADING_START = re.compile(
    r"[ \t]*(?:[一二三四五六七八九十]+[、.．]|[(（]|\d{1,2}[.、．](?!\d)"
    r"|第[一二三四五六七八九十]+[部章节]|[一二三四五六七八九十]+是|\n|$)"
)
_WRAPPED_LINE = 20  # a shorter line without end punctuation is a heading, not a wrapped line
_SPLIT_WORDS = ("以上", "以下", "以内", "左右", "上下")


def join_broken_lines(norm: str) -> str:
    """Replace the line breaks that split a sentence by spaces (same length)."""
    chars = list(norm)
    line_start = 0
    for pos, char in enumerate(norm):
        if char != "\n":
            continue
        line = norm[line_start:pos].strip(" \t")
        line_start = pos + 1
        if not line or line[-1] in CLAUSE_PUNCT + "”」』》)）":
            continue
        if _HEADING_START.match(norm, pos + 1):
            continue
        split_word = any(line.endswith(w[0]) and norm.startswith(w[1], pos + 1) for w in _SPLIT_WORDS)
        if split_word or len(line) >= _WRAPPED_LINE:
            chars[pos] = " "
    return "".join(chars)
