"""Chinese, Arabic and full-width numeral parsing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from transforms.numerals import (
    is_chinese_numeral,
    normalize_width,
    parse_chinese_numeral,
    parse_number,
    parse_range,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("15", 15),
        ("1,200", 1200),
        ("１２００", 1200),
        ("１，２００", 1200),
        ("1.5", 1.5),
        ("23.89", 23.89),
        ("0.3", 0.3),
        ("1万", 10_000),
        ("2.5万", 25_000),
        ("1.5亿", 150_000_000),
        ("１.５万", 15_000),
        ("百分之二十", 20),
        ("百分之15", 15),
    ],
)
def test_arabic_and_mixed(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("三十", 30),
        ("一百", 100),
        ("一百零五", 105),
        ("一百二十", 120),
        ("两千", 2000),
        ("三千五百", 3500),
        ("一万", 10_000),
        ("一万二千", 12_000),
        ("三亿", 300_000_000),
        ("千", 1000),
        ("二十三点八九", 23.89),
        ("〇", 0),
    ],
)
def test_chinese(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


def test_integral_values_are_ints() -> None:
    assert isinstance(parse_number("1,200"), int)
    assert isinstance(parse_number("2.5万"), int)
    assert isinstance(parse_number("十五"), int)
    assert isinstance(parse_number("1.5"), float)


@pytest.mark.parametrize("raw", ["十四五", "十百", "abc", "", "四个"])
def test_rejects_non_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_number(raw)


def test_chinese_numeral_rejects_labels() -> None:
    with pytest.raises(ValueError):
        parse_chinese_numeral("十四五")  # the 14th five-year plan, not a number


@pytest.mark.parametrize(
    ("raw", "low", "high"),
    [
        ("1-2", 1, 2),
        ("3至5", 3, 5),
        ("3～5", 3, 5),
        ("3~5", 3, 5),
        ("三到五", 3, 5),
        ("三至五", 3, 5),
        ("8至10", 8, 10),
        ("１－２", 1, 2),
    ],
)
def test_ranges(raw: str, low: float, high: float) -> None:
    assert parse_range(raw) == (low, high)


def test_range_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        parse_range("5-3")


def test_normalize_width_keeps_length_and_chinese_punctuation() -> None:
    raw = "实施项目３００个，占比１５％（次）"
    norm = normalize_width(raw)
    assert len(norm) == len(raw)
    assert norm == "实施项目300个，占比15%(次)"


def test_is_chinese_numeral() -> None:
    assert is_chinese_numeral("十五")
    assert is_chinese_numeral("两")
    assert not is_chinese_numeral("15")


@pytest.mark.parametrize("module", ["transforms.numerals", "transforms.cleaning"])
def test_pure_transforms_import_nothing_from_plantrack(module: str) -> None:
    """Dependencies run one way: plantrack uses transforms, never the reverse."""
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('plantrack')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
