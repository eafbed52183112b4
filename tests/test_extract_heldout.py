"""Recall and precision of the plan extractor on fresh plan texts, annotated by hand.

Each ``tests/fixtures/plans/<name>.txt`` with a ``<name>.targets.toml`` beside it is a plan
of the genre written for a fictional city or bureau, with its true targets annotated
before the extractor was run on it. Two of them (HELD_OUT) were not looked at while
the extractor was improved; their figures are printed separately.

An extracted indicator matches an annotated target when its verbatim text overlaps the
annotated phrase (or one of the places that restate it) and value, unit, qualifier,
stretch and range_max agree. A second indicator for the same target (a restatement)
counts against precision.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plantrack.extract import extract_catalog
from tests.test_extract_generality import EXPECTED
from tests.test_extract_generality import score as score_by_position

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plans"
ANNOTATED = sorted(p.name.removesuffix(".targets.toml") for p in FIXTURES.glob("*.targets.toml"))
HELD_OUT = ("shihu_county_keji_2024", "anlan_hitech_zone_2025")
RECALL_FLOOR, PRECISION_FLOOR = 0.95, 0.90


@dataclass
class Score:
    expected: int = 0
    extracted: int = 0
    hits: int = 0
    cumulative_right: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.extracted if self.extracted else 1.0

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.extracted += other.extracted
        self.hits += other.hits
        self.cumulative_right += other.cumulative_right

    def line(self, label: str) -> str:
        return (
            f"{label:<32} expected {self.expected:>3}  extracted {self.extracted:>3}  "
            f"recall {self.recall:.3f}  precision {self.precision:.3f}  "
            f"flow/stock right {self.cumulative_right}/{self.hits}"
        )


def load_plan(name: str) -> tuple[str, list[dict]]:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    annotated = tomllib.loads((FIXTURES / f"{name}.targets.toml").read_text(encoding="utf-8"))
    return text, annotated["target"]


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _spans(text: str, phrase: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(phrase), text)]


def _overlaps(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def _places(text: str, target: dict) -> list[tuple[int, int]]:
    return [span for phrase in [target["phrase"], *target.get("also", [])] for span in _spans(text, phrase)]


def _key_matches(text: str, indicator: dict, target: dict) -> bool:
    return (
        indicator["unit"] == target["unit"]
        and _same(indicator["target"], target["value"])
        and _overlaps(_spans(text, indicator["text"]), _places(text, target))
    )


def _fully_matches(text: str, indicator: dict, target: dict) -> bool:
    return (
        _key_matches(text, indicator, target)
        and indicator["qualifier"] == target["qualifier"]
        and _same(indicator["stretch"], target.get("stretch"))
        and _same(indicator["range_max"], target.get("range_max"))
    )


def score_plan(text: str, indicators: list[dict], targets: list[dict]) -> Score:
    result = Score(expected=len(targets), extracted=len(indicators))
    remaining = list(indicators)
    for target in targets:
        found = next((i for i in remaining if _fully_matches(text, i, target)), None)
        if found is None:
            near = next((i for i in remaining if _key_matches(text, i, target)), None)
            got = f"got {near['qualifier']}/{near['stretch']}/{near['range_max']}" if near else "not found"
            result.problems.append(
                f"MISS {target['value']}{target['unit']} {target['qualifier']} «{target['phrase']}»: {got}"
            )
            if near is not None:
                remaining.remove(near)
            continue
        result.hits += 1
        result.cumulative_right += found["cumulative"] == target["cumulative"]
        if found["cumulative"] != target["cumulative"]:
            result.problems.append(
                f"FLOW/STOCK {found['id']} {found['name']}: got cumulative={found['cumulative']}"
            )
        remaining.remove(found)
    for extra in remaining:
        result.problems.append(
            f"EXTRA {extra['id']} {extra['target']}{extra['unit']} {extra['qualifier']}: {extra['text']}"
        )
    return result


def score_annotated(name: str) -> Score:
    text, targets = load_plan(name)
    indicators = [c for c in extract_catalog(text) if c["kind"] == "indicator"]
    return score_plan(text, indicators, targets)


@pytest.mark.parametrize("name", ANNOTATED)
def test_annotations_point_into_the_text(name: str) -> None:
    text, targets = load_plan(name)
    assert len(targets) >= 20
    for target in targets:
        for phrase in [target["phrase"], *target.get("also", [])]:
            assert len(_spans(text, phrase)) == 1, f"{phrase!r} must occur once in {name}"
        assert target["qualifier"] in ("min", "approx", "range", "exact", "max", "increase_by", "share")
        assert isinstance(target["cumulative"], bool)


def test_fresh_texts_reach_the_recall_and_precision_floor() -> None:
    lines, total, held = [], Score(), Score()
    for name in ANNOTATED:
        result = score_annotated(name)
        lines.append(result.line(name + (" (held out)" if name in HELD_OUT else "")))
        lines += [f"    {p}" for p in result.problems]
        (held if name in HELD_OUT else total).add(result)
    overall = Score()
    overall.add(total)
    overall.add(held)
    lines += [total.line("fresh, worked on"), held.line("fresh, held out"), overall.line("fresh, all")]
    print("\n".join(lines))
    assert overall.recall >= RECALL_FLOOR, "\n".join(lines)
    assert overall.precision >= PRECISION_FLOOR, "\n".join(lines)


def test_all_fixture_plans_reach_the_floor() -> None:
    """The fresh texts and the earlier fixture plans (scored by item and sub-task) together."""
    expected = extracted = hits = 0
    for name in ANNOTATED:
        result = score_annotated(name)
        expected, extracted, hits = (
            expected + result.expected,
            extracted + result.extracted,
            hits + result.hits,
        )
    for name, wanted in EXPECTED.items():
        text = (FIXTURES / name).read_text(encoding="utf-8")
        indicators = [c for c in extract_catalog(text) if c["kind"] == "indicator"]
        recall, _, _ = score_by_position(indicators, wanted)
        hits += round(recall * len(wanted))
        expected += len(wanted)
        extracted += len(indicators)
    print(
        f"all fixture plans: expected {expected} extracted {extracted} "
        f"recall {hits / expected:.3f} precision {hits / extracted:.3f}"
    )
    assert hits / expected >= RECALL_FLOOR
    assert hits / extracted >= PRECISION_FLOOR
