"""Pure cleaning functions: raw cell text in, numbers and canonical names out.

Nothing here does I/O or reads settings. Each parser returns the value and,
when the text needed interpreting, a code saying what was done, so that the
caller can turn it into an issue the steward sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Canonical column keys and the header titles people actually type.
DATA_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "indicator_id": ("指标编号", "指标代码", "编号", "指标id"),
    "name": ("指标名称", "指标", "名称"),
    "uom": ("单位", "计量单位", "计量单位名称"),
    "target": ("年度目标", "全年目标", "目标", "年度目标值", "目标值", "分解目标"),
    "actual": (
        "累计完成", "本年累计", "累计完成值", "截至本季度末累计", "累计完成数",
        "完成值", "完成情况", "累计", "本季度末累计", "截至季度末累计",
    ),
    "note": ("说明", "备注", "情况说明", "完成情况说明"),
}
MILESTONE_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "milestone_id": ("任务编号", "编号"),
    "task": ("任务内容", "任务", "任务名称"),
    "status": ("进展状态", "状态", "完成状态"),
    "note": ("进展说明", "进展情况", "说明", "备注"),
    "evidence": ("佐证材料", "佐证", "证明材料"),
}

TRAILING_ROW_MARKERS = ("合计", "总计", "小计", "备注", "注：", "注:", "填表人", "审核人", "联系电话")

_UNIT_SUFFIXES = (
    "个百分点", "万人次", "人次", "亿元", "万元", "元", "家", "项", "个", "支", "件", "人",
    "场", "次", "名", "所", "批", "%", "％",
)
_SCALE_TO = {("万元", "亿元"): 1e-4, ("亿元", "万元"): 1e4, ("元", "万元"): 1e-4, ("元", "亿元"): 1e-8}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS_RE = re.compile(r"(?<=\d)[,，](?=\d{3}(\D|$))")
_EXCEL_ERRORS = ("#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!")


def normalize_text(text: str | None) -> str:
    """NFKC (full-width digits and letters to ASCII) and trimmed."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def normalize_header(text: str | None) -> str:
    """A header title without spaces, line breaks or a trailing unit in brackets."""
    t = re.sub(r"\s+", "", normalize_text(text))
    t = re.sub(r"[(（][^)）]*[)）]$", "", t)
    return t.lower()


def match_header(text: str | None, synonyms: dict[str, tuple[str, ...]]) -> str | None:
    t = normalize_header(text)
    if not t:
        return None
    for key, titles in synonyms.items():
        if t in (normalize_header(x) for x in titles):
            return key
    return None


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None
    code: str | None = None  # None: clean number; else what was done or what is wrong
    detail: str = ""


def parse_number(raw: object, expected_unit: str = "") -> ParsedNumber:
    """Read a number as a careful person would.

    Codes: ``empty``; ``excel_error`` (#DIV/0! …); ``number_as_text`` (text such
    as "12家", "1,200" or "１２" read as a number); ``unit_converted``
    ("15000万元" where 亿元 is expected); ``not_a_number``.
    """
    if raw is None:
        return ParsedNumber(None, "empty")
    if isinstance(raw, bool):
        return ParsedNumber(None, "not_a_number", str(raw))
    if isinstance(raw, int | float):
        return ParsedNumber(float(raw))
    original = str(raw)
    text = normalize_text(original)
    if not text:
        return ParsedNumber(None, "empty")
    if text.upper() in _EXCEL_ERRORS:
        return ParsedNumber(None, "excel_error", text.upper())
    if _NUMBER_RE.match(text):
        # a plain number; text only if the original was not already plain ASCII digits
        return ParsedNumber(float(text), None if text == original.strip() else "number_as_text")
    body = _THOUSANDS_RE.sub("", text).replace(" ", "")
    unit = next((u for u in _UNIT_SUFFIXES if body.endswith(u)), "")
    number = body[: len(body) - len(unit)] if unit else body
    unit = {"％": "%"}.get(unit, unit)
    if not _NUMBER_RE.match(number):
        return ParsedNumber(None, "not_a_number", original)
    value = float(number)
    scale = _SCALE_TO.get((unit, expected_unit))
    if scale is not None:
        return ParsedNumber(round(value * scale, 10), "unit_converted", f"{unit}→{expected_unit}")
    if unit and expected_unit and unit != expected_unit and unit not in expected_unit:
        return ParsedNumber(None, "wrong_unit", f"{unit}≠{expected_unit}")
    return ParsedNumber(value, "number_as_text")


def is_trailing_row(cells: list[str]) -> bool:
    """A total, note or signature row below the table."""
    first = next((normalize_text(c) for c in cells if normalize_text(c)), "")
    return any(first.startswith(m) for m in TRAILING_ROW_MARKERS)


def column_letter(index: int) -> str:
    """0-based column index to Excel letters: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
