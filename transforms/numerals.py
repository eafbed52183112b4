"""Chinese, Arabic and full-width numeral parsing.

Handles what Chinese plan texts and filled-in spreadsheets contain: ``1,200``,
``１２００``, ``1.5``, ``1万`` / ``2.5万`` (multipliers), ``十五``, ``两``,
``一百零五``, ``三千五百``, ``二十三点八九``, ``百分之二十`` and ranges such as
``1-2``, ``3至5``, ``3～5``, ``三到五``.
"""

from __future__ import annotations

import re

# Full-width (and a few look-alike) characters mapped one-to-one to ASCII, so
# that a normalised string keeps the offsets of the original.
_WIDTH_MAP = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_MAP.update({ord("\u3000"): ord(" ")})
_WIDTH_MAP.pop(ord("，"))  # keep the Chinese comma: it is clause punctuation
_WIDTH_MAP.pop(ord("；"))
_WIDTH_MAP.pop(ord("："))
_WIDTH_MAP.pop(ord("！"))
_WIDTH_MAP.pop(ord("？"))

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

_CN_DIGIT_CHARS = "".join(CN_DIGITS)
_CN_ALL_CHARS = _CN_DIGIT_CHARS + "十百千万亿"

# Regex fragments (apply them to width-normalised text).
ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
CHINESE = rf"[{_CN_DIGIT_CHARS}十][{_CN_ALL_CHARS}]*(?:点[{_CN_DIGIT_CHARS}]+)?"
NUMBER = (
    rf"(?:(?<![\d.,A-Za-z+/#]){ARABIC}[万亿]?(?![\d])"
    rf"|(?<![{_CN_ALL_CHARS}]){CHINESE})"
)
RANGE_SEPARATOR = r"(?:-|—|–|~|〜|至|到)"

_ARABIC_FULL = re.compile(rf"^({ARABIC})([万亿]?)$")
_PERCENT_WORDS = "百分之"


_WIDE_THOUSANDS = re.compile(r"(?<=\d)，(?=\d{3}(?!\d))")


def normalize_width(text: str) -> str:
    """Map full-width letters, digits and symbols to ASCII, keeping length.

    A Chinese comma between digits (１，２００) is a thousands separator and
    becomes ``,``; elsewhere ，stays, since it is clause punctuation.
    """
    return _WIDE_THOUSANDS.sub(",", text.translate(_WIDTH_MAP))


def _tidy(value: float) -> int | float:
    """Return an int when the value is integral, else a rounded float."""
    rounded = round(value, 10)
    if rounded == int(rounded):
        return int(rounded)
    return rounded


def _parse_cn_integer(text: str) -> int:
    """Parse a Chinese integer such as 十五, 一百零五, 两千, 一万二千, 三亿."""
    if not text:
        raise ValueError("empty numeral")
    total = section = 0
    digit: int | None = None
    last_small = 10_000  # small units must descend within a section
    for char in text:
        if char in CN_DIGITS:
            if digit is not None and digit != 0 and CN_DIGITS[char] != 0:
                raise ValueError(f"two digits in a row in {text!r}")
            digit = CN_DIGITS[char]
        elif char in CN_SMALL_UNITS:
            unit = CN_SMALL_UNITS[char]
            if unit >= last_small:
                raise ValueError(f"bad unit order in {text!r}")
            section += (1 if digit is None else digit) * unit
            digit, last_small = None, unit
        elif char in CN_BIG_UNITS:
            section += digit or 0
            if section == 0 and total == 0:
                section = 1
            if char == "亿":
                total = (total + section) * CN_BIG_UNITS[char]
            else:
                total += section * CN_BIG_UNITS[char]
            section, digit, last_small = 0, None, 10_000
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + (digit or 0)


def parse_chinese_numeral(text: str) -> int | float:
    """Parse a Chinese numeral, with an optional decimal part (二十三点八九)."""
    whole, _, fraction = text.partition("点")
    value: float = _parse_cn_integer(whole)
    if fraction:
        digits = "".join(str(CN_DIGITS[c]) for c in fraction if c in CN_DIGITS)
        if len(digits) != len(fraction):
            raise ValueError(f"bad decimal part in {text!r}")
        value += float("0." + digits)
    return _tidy(value)


def parse_number(text: str) -> int | float:
    """Parse one number: Arabic, full-width, Chinese or mixed (2.5万).

    ``百分之二十`` parses to 20 (the caller knows the unit is %).
    Raises ValueError when the text is not a number.
    """
    raw = normalize_width(text).strip()
    if raw.startswith(_PERCENT_WORDS):
        raw = raw[len(_PERCENT_WORDS) :]
    match = _ARABIC_FULL.match(raw)
    if match:
        value = float(match.group(1).replace(",", ""))
        if match.group(2):
            value *= CN_BIG_UNITS[match.group(2)]
        return _tidy(value)
    return parse_chinese_numeral(raw)


def parse_range(text: str) -> tuple[int | float, int | float]:
    """Parse ``1-2``, ``3至5``, ``三到五`` into (low, high)."""
    raw = normalize_width(text).strip()
    parts = re.split(RANGE_SEPARATOR, raw, maxsplit=1)
    if len(parts) != 2:
        raise ValueError(f"not a range: {text!r}")
    low, high = parse_number(parts[0]), parse_number(parts[1])
    if high < low:
        raise ValueError(f"range upside down: {text!r}")
    return low, high


def is_chinese_numeral(text: str) -> bool:
    """True when the numeral is written in Chinese characters."""
    return bool(text) and text[0] in _CN_ALL_CHARS
