"""Pure cleaning functions: raw cell text in, numbers and canonical names out.

Nothing here does I/O or reads settings. Each parser returns the value and,
when the text needed interpreting, a code saying what was done, so that the
caller can turn it into an issue the steward sees.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from transforms.numerals import parse_chinese_numeral

# Canonical column keys and the header titles people actually type. Exact
# titles are tried first (after normalize_header); the loose rules below only
# name columns that no exact title claimed.
DATA_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "indicator_id": ("指标编号", "指标代码", "编号", "指标id", "指标序号"),
    "name": ("指标名称", "指标", "名称", "指标内容"),
    "uom": ("单位", "计量单位", "计量单位名称", "单位名称"),
    "target": ("年度目标", "全年目标", "目标", "年度目标值", "目标值", "分解目标", "目标任务"),
    "actual": (
        "累计完成",
        "本年累计",
        "累计完成值",
        "截至本季度末累计",
        "累计完成数",
        "完成值",
        "完成情况",
        "累计",
        "本季度末累计",
        "截至季度末累计",
        "截至本季度末累计完成",
        "本年累计完成",
        "年初至今累计",
        "累计完成数值",
        "实际完成",
        "完成数",
        "季度末累计",
    ),
    "note": ("说明", "备注", "情况说明", "完成情况说明", "进展说明"),
    "stretch": ("力争目标", "力争", "力争值"),
}
MILESTONE_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "milestone_id": ("任务编号", "编号", "任务代码"),
    "task": ("任务内容", "任务", "任务名称", "重点任务"),
    "status": ("进展状态", "状态", "完成状态", "进度状态"),
    "note": ("进展说明", "进展情况", "说明", "备注", "进展情况说明"),
    "evidence": ("佐证材料", "佐证", "证明材料", "佐证材料名称"),
}

# Loose rules: (key, a title must contain one of, and none of). Order matters:
# 力争目标 is a stretch, not a target; 完成率 is a share, not a value.
LOOSE_TITLE_MAX = 16
LooseRules = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
DATA_LOOSE_RULES: LooseRules = (
    ("stretch", ("力争",), ()),
    ("note", ("说明", "备注"), ()),
    ("target", ("目标",), ()),
    ("actual", ("累计", "完成"), ("率", "比", "进度", "时间", "状态", "计划")),
    ("indicator_id", ("指标编号", "指标代码"), ()),
    ("name", ("指标名称",), ()),
    ("uom", ("计量单位",), ()),
)
MILESTONE_LOOSE_RULES: LooseRules = (
    ("milestone_id", ("任务编号",), ()),
    ("status", ("状态",), ()),
    ("note", ("说明", "进展"), ()),
    ("evidence", ("佐证",), ()),
)

TRAILING_ROW_MARKERS = (
    "合计",
    "总计",
    "小计",
    "备注",
    "注：",
    "注:",
    "说明：",
    "说明:",
    "填表人",
    "填报人",
    "制表",
    "审核人",
    "负责人",
    "单位负责人",
    "联系电话",
    "联系人",
    "填报日期",
    "填表日期",
    "报送日期",
    "以下空白",
)

# Every unit a figure may be typed with, longest first so that 万元 wins over 元.
_UNIT_SUFFIXES = (
    "个百分点",
    "万人次",
    "人次",
    "亿元",
    "万元",
    "元",
    "家",
    "项",
    "个",
    "支",
    "件",
    "人",
    "场",
    "次",
    "名",
    "所",
    "批",
    "户",
    "台",
    "套",
    "篇",
    "%",
)
_MONEY_SCALE = {"元": 1.0, "万元": 1e4, "亿元": 1e8}
_BIG_MULTIPLIER = {"万": 1e4, "亿": 1e8}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_LEADING_NUMBER_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$")
_LEADING_CHINESE_RE = re.compile(r"^([零〇一二两三四五六七八九十百千万亿点]+)(.*)$")
_CHINESE_DIGITS = "零〇一二两三四五六七八九十"
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(\D|$))")
_LEADING_YEAR_RE = re.compile(r"^(\d{4}年度?|全年|本年度)(?=.)")
EXCEL_ERRORS = (
    "#DIV/0!",
    "#REF!",
    "#VALUE!",
    "#N/A",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)
_EXCEL_ERRORS = EXCEL_ERRORS  # kept for callers of the old name


def normalize_text(text: str | None) -> str:
    """NFKC (full-width digits and letters to ASCII) and trimmed."""
    if text is None:
        return ""
    if isinstance(text, str):
        return _normalize_str(text)
    return unicodedata.normalize("NFKC", str(text)).strip()


@lru_cache(maxsize=65536)  # ids, labels and titles repeat in every file of a quarter
def _normalize_str(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@lru_cache(maxsize=4096)
def normalize_header(text: str | None) -> str:
    """A header title without spaces, a leading year or a trailing unit in brackets."""
    t = re.sub(r"\s+", "", normalize_text(text))
    t = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]$", "", t)
    t = _LEADING_YEAR_RE.sub("", t)
    return t.lower()


def header_unit(text: str | None) -> str:
    """The unit in brackets at the end of a header title: 累计完成（家） → 家."""
    m = re.search(r"[(（\[【]([^)）\]】]*)[)）\]】]$", normalize_text(text).replace(" ", ""))
    return m.group(1) if m else ""


def _title_index(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalized title → key, built once per synonym table (titles repeat in every file)."""
    cached = _TITLE_INDEXES.get(id(synonyms))
    if cached is None or cached[0] is not synonyms:
        index: dict[str, str] = {}
        for key, titles in synonyms.items():
            for title in titles:
                index.setdefault(normalize_header(title), key)
        cached = (synonyms, index)
        _TITLE_INDEXES[id(synonyms)] = cached
    return cached[1]


_TITLE_INDEXES: dict[int, tuple[dict, dict[str, str]]] = {}


def match_header(text: str | None, synonyms: dict[str, tuple[str, ...]]) -> str | None:
    """The canonical key of an exact header title, or None."""
    t = normalize_header(text)
    if not t:
        return None
    return _title_index(synonyms).get(t)


@lru_cache(maxsize=4096)
def match_header_loosely(text: str | None, rules: LooseRules) -> str | None:
    """The key of a header title that only contains a known word (本季度末累计完成数 …)."""
    t = normalize_header(text)
    if not t or len(t) > LOOSE_TITLE_MAX:
        return None  # a sentence (an instruction line) is not a column title
    for key, needles, vetoes in rules:
        if any(n in t for n in needles) and not any(v in t for v in vetoes):
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
    as "12家", "1,200", "１２", "十二" or "2.3%" read as a number);
    ``unit_converted`` ("15000万元" where 亿元 is expected, "1.2万人次" where 人次
    is expected); ``wrong_unit`` ("12项" where 家 is expected); ``not_a_number``.
    """
    if raw is None:
        return ParsedNumber(None, "empty")
    if isinstance(raw, bool):
        return ParsedNumber(None, "not_a_number", str(raw))
    if isinstance(raw, int | float):
        if math.isnan(raw) or math.isinf(raw):
            return ParsedNumber(None, "not_a_number", str(raw))
        return ParsedNumber(float(raw))
    original = str(raw)
    text = normalize_text(original)
    if not text:
        return ParsedNumber(None, "empty")
    if text.upper() in EXCEL_ERRORS:
        return ParsedNumber(None, "excel_error", text.upper())
    if _NUMBER_RE.match(text):
        # a plain number; text only if the original was not already plain ASCII digits
        if text == original.strip():
            return ParsedNumber(float(text))
        return ParsedNumber(float(text), "number_as_text", "全角数字")
    body = _THOUSANDS_RE.sub("", text).replace(" ", "").replace("\u3000", "")
    split = _split_number(body)
    if split is None:
        return ParsedNumber(None, "not_a_number", original)
    value, unit, how = split
    return _apply_unit(value, unit, normalize_text(expected_unit).replace(" ", ""), how)


def _split_number(body: str) -> tuple[float, str, str] | None:
    """(number, unit text after it, how it was written) or None when no number leads."""
    percent_words = body.startswith("百分之")
    if percent_words:
        body = body[len("百分之") :]
    m = _LEADING_NUMBER_RE.match(body)
    how = "文本数字"
    if m:
        value, unit = float(m.group(1)), m.group(2)
    else:
        m = _LEADING_CHINESE_RE.match(body)
        if not m:
            return None
        value, tail = _chinese_value(m.group(1))
        if value is None:
            return None
        unit = tail + m.group(2)
        how = "中文数字"
    if percent_words:
        if unit:
            return None
        unit = "%"
    return value, unit, how


def _chinese_value(numeral: str) -> tuple[float | None, str]:
    """A Chinese numeral, letting a trailing 万/亿 be read as part of the unit (十二万元)."""
    for cut in (len(numeral), len(numeral) - 1):
        head, tail = numeral[:cut], numeral[cut:]
        if not any(c in _CHINESE_DIGITS for c in head):
            break  # 万 or 亿 alone is a unit, not a number
        try:
            return float(parse_chinese_numeral(head)), tail
        except (ValueError, KeyError):
            continue
    return None, ""


def _apply_unit(value: float, unit: str, expected: str, how: str) -> ParsedNumber:
    if not unit or unit == expected:
        return ParsedNumber(value, "number_as_text", how)
    if unit in _MONEY_SCALE or unit in _BIG_MULTIPLIER:
        money_unit = unit if unit in _MONEY_SCALE else f"{unit}元"
        if expected in _MONEY_SCALE:
            if money_unit == expected:
                return ParsedNumber(value, "number_as_text", how)
            scaled = value * _MONEY_SCALE[money_unit] / _MONEY_SCALE[expected]
            return ParsedNumber(round(scaled, 10), "unit_converted", f"{money_unit}→{expected}")
    if unit[0] in _BIG_MULTIPLIER and unit[1:] in ("", expected) and expected not in _MONEY_SCALE:
        scaled = value * _BIG_MULTIPLIER[unit[0]]
        return ParsedNumber(round(scaled, 10), "unit_converted", f"{unit}→{expected or '个'}")
    if expected and (unit in expected or expected in unit) and unit in _UNIT_SUFFIXES:
        return ParsedNumber(value, "number_as_text", how)  # 人 for 人(项)
    if unit in _UNIT_SUFFIXES:
        if expected:
            return ParsedNumber(None, "wrong_unit", f"{unit}≠{expected}")
        return ParsedNumber(value, "number_as_text", how)
    return ParsedNumber(None, "not_a_number", f"{value:g}{unit}")


def is_percent_format(number_format: str | None) -> bool:
    """An Excel number format that shows a fraction as a percentage (0.00%, 0%, #,##0.0%)."""
    if not number_format:
        return False
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format)
    return "%" in code


def is_trailing_row(cells: list[str]) -> bool:
    """A total, note or signature row below the table."""
    first = next((normalize_text(c) for c in cells if normalize_text(c)), "")
    first = first.replace(" ", "")
    return any(first.startswith(m) for m in TRAILING_ROW_MARKERS)


def column_letter(index: int) -> str:
    """0-based column index to Excel letters: 0 → A, 26 → AA."""
    if 0 <= index < len(_LETTERS):
        return _LETTERS[index]
    return _column_letter(index)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel letters to a 0-based column index: A → 0, AA → 26 (``column_letter``'s inverse)."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


_LETTERS = tuple(_column_letter(i) for i in range(702))  # A … ZZ: every sheet we will see


def number_text(value: float) -> str:
    """A number as text without losing anything: 1200.0 → 1200, 0.1 + 0.2 → 0.30000000000000004."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
