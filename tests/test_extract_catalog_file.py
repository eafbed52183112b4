"""The draft catalog TOML: format of docs/catalog.md, read by plantrack.catalog's loader."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from plantrack.catalog import load_catalog, load_units
from plantrack.extract import PlanTextError, extract_catalog
from plantrack.extract.catalog_file import GUESSED_UNITS, draft_catalog, draft_catalog_toml, plan_metadata

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "plans"
SEED_DIR = REPO / "expectations" / "plans" / "2021"
SEED_UNITS = SEED_DIR / "units.toml"
PLANS = sorted(FIXTURES.glob("*.txt")) + [SEED_DIR / "plan.txt"]


def units_for(plan: Path) -> Path:
    beside = plan.with_name(plan.stem + ".units.toml")
    return beside if beside.exists() else SEED_UNITS


def without_review_marks(toml_text: str) -> str:
    text = re.sub(r"\[pacing_review\]\n(?:review.*\n)*", "", toml_text)
    return re.sub(r"^review(?:_reason)? = .*\n", "", text, flags=re.MULTILINE)


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_every_fixture_plan_gives_a_catalog_the_loader_accepts(plan: Path, tmp_path: Path) -> None:
    text = plan.read_text(encoding="utf-8")
    toml_text = draft_catalog_toml(text, units=units_for(plan))
    data = tomllib.loads(toml_text)
    entries = data["indicator"] + data.get("milestone", [])
    assert len(entries) == len(extract_catalog(text))
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for entry in [*entries, *data["section"], *data["item"], data["pacing_review"], data]:
        assert entry["review"] == "draft"
    for indicator in data["indicator"]:
        assert indicator["units"], indicator
        assert re.fullmatch(r"I\d{2}-\d+-\d+", indicator["id"])
        assert indicator["text"] in text
    for marked, stripped in ((toml_text, "marked.toml"), (without_review_marks(toml_text), "plain.toml")):
        path = tmp_path / stripped
        path.write_text(marked, encoding="utf-8")
        catalog = load_catalog(path, units_for(plan))
        assert len(catalog.indicators) == len(data["indicator"])
        assert catalog.year == data["year"]
    plain = tomllib.loads(without_review_marks(toml_text))
    assert "review" not in plain and "pacing_review" not in plain
    assert not any("review" in e for e in plain["indicator"] + plain.get("milestone", []))


@pytest.mark.parametrize(
    ("name", "title", "issuer", "number", "year"),
    [
        (
            "linchuan_gongxin_2024",
            "2024年全市工业和信息化工作要点",
            "临川市工业和信息化局",
            "临工信发〔2024〕6号",
            2024,
        ),
        ("yunze_nongye_2025", "2025年全市农业农村工作要点", "云泽市农业农村局", "云农发〔2025〕3号", 2025),
        (
            "qinghe_shangwu_2024",
            "青禾区商务局2023年工作总结及2024年工作计划",
            "青禾区商务局",
            "青商发〔2023〕41号",
            2024,
        ),
        (
            "anlan_hitech_zone_2025",
            "安澜高新区2025年工作计划",
            "安澜高新技术产业开发区管理委员会",
            "安高管发〔2025〕2号",
            2025,
        ),
    ],
)
def test_metadata_from_the_notice(name, title, issuer, number, year) -> None:
    meta = plan_metadata((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))
    assert meta == {"title": title, "issuer": issuer, "document_number": number, "year": year}


def test_metadata_of_the_2021_plan_matches_its_reviewed_catalog() -> None:
    reviewed = tomllib.loads((SEED_DIR / "catalog.toml").read_text(encoding="utf-8"))
    meta = plan_metadata((SEED_DIR / "plan.txt").read_text(encoding="utf-8"))
    for key in ("title", "issuer", "document_number", "year"):
        assert meta[key] == reviewed[key]


UNITS = """
[[unit]]
code = "east"
name = "东城区"
office = "东城区科技局"
kind = "district"

[[unit]]
code = "west"
name = "西城区"
office = "西城区科技局"
kind = "district"

[[unit]]
code = "zone"
name = "高新区"
office = "高新区科技创新局"
kind = "zone"

[[unit]]
code = "bureau"
name = "市科技局"
office = "市科技局机关"
kind = "bureau"

[groups]
districts = ["east", "west", "zone"]
"""


def catalog_of(body: str, year: int | None = 2024) -> dict:
    return draft_catalog("2024年全市科技工作要点\n\n" + body, year, UNITS)


def by_name(catalog: dict) -> dict[str, dict]:
    return {i["name"]: i for i in catalog["indicator"]}


def test_units_named_in_a_lead_note() -> None:
    lead = "（牵头单位：东城区科技局、高新区科技创新局）"
    got = by_name(catalog_of(f"1.培育企业。新增高新技术企业50家{lead}。"))
    entry = got["新增高新技术企业"]
    assert entry["units"] == ["east", "zone"]
    assert GUESSED_UNITS not in entry.get("review_reason", "")


def test_units_named_in_the_sentence() -> None:
    got = by_name(catalog_of("1.建设平台。支持西城区新建省级研发平台3个。"))
    assert got["支持西城区新建省级研发平台"]["units"] == ["west"]


def test_every_unit_word_names_the_reporting_units() -> None:
    got = by_name(catalog_of("1.建设平台。各区新建省级研发平台3个。"))
    assert got["各区新建省级研发平台"]["units"] == ["districts"]


def test_default_units_are_guessed_and_marked() -> None:
    got = by_name(catalog_of("1.培育企业。新增科技型中小企业100家。研发投入强度达到3%。"))
    assert got["新增科技型中小企业"]["units"] == ["districts"]
    assert got["研发投入强度"]["units"] == ["bureau"]
    for entry in got.values():
        assert GUESSED_UNITS in entry["review_reason"]


def test_recognitions_are_paced_in_q4_and_ratios_at_year_end() -> None:
    got = by_name(catalog_of("1.培育企业。新认定高新技术企业50家。新建孵化器3家。研发投入强度达到3%。"))
    assert got["新认定高新技术企业"]["pacing"] == "q4"
    assert "认定类" in got["新认定高新技术企业"]["review_reason"]
    assert got["新建孵化器"]["pacing"] == "linear"
    assert got["研发投入强度"]["pacing"] == "year_end"


def test_uncertain_flow_or_stock_is_marked() -> None:
    got = by_name(catalog_of("1.培育企业。科技型中小企业达到1200家。新建孵化器3家。"))
    assert "无法判断是新增还是累计" in got["科技型中小企业"]["review_reason"]
    assert "无法判断" not in got["新建孵化器"].get("review_reason", "")


def test_headline_targets_get_a_section_and_item_zero() -> None:
    catalog = catalog_of(
        "主要目标是：新增高新技术企业50家以上。\n\n一、培育企业\n\n1.加强孵化。新建孵化器3家。"
    )
    assert catalog["section"][0] == {
        "number": 0,
        "title": "总体目标",
        "review": "draft",
        "review_reason": "正文之前的总体目标，标题为推测",
    }
    assert [i["id"] for i in catalog["indicator"]] == ["I00-0-1", "I01-0-1"]


def test_year_given_overrides_and_a_different_title_year_is_marked() -> None:
    catalog = catalog_of("1.培育企业。新增高新技术企业50家。", year=2025)
    assert catalog["year"] == 2025
    assert "不一致" in catalog["review_reason"]


def test_a_text_without_a_year_needs_one() -> None:
    with pytest.raises(PlanTextError, match="年度"):
        draft_catalog("1.培育企业。新增高新技术企业50家。", None, UNITS)
    assert draft_catalog("1.培育企业。新增高新技术企业50家。", 2024, UNITS)["year"] == 2024


def test_units_as_loaded_objects_or_dicts(tmp_path: Path) -> None:
    path = tmp_path / "units.toml"
    path.write_text(UNITS, encoding="utf-8")
    loaded, _ = load_units(path)
    as_objects = draft_catalog("2024年工作要点\n1.新增高新技术企业50家。", None, list(loaded.values()))
    as_dicts = draft_catalog(
        "2024年工作要点\n1.新增高新技术企业50家。",
        None,
        [{"code": u.code, "name": u.name, "kind": u.kind} for u in loaded.values()],
    )
    assert as_objects["indicator"][0]["units"] == ["east", "west", "zone"]
    assert as_dicts["indicator"][0]["units"] == ["east", "west", "zone"]


def test_strings_that_need_escaping_survive(tmp_path: Path) -> None:
    text = '2024年工作要点\n\n1.加强“双招双引”。稳定在95%以\n上，新增"飞地"孵化器3家。'
    data = tomllib.loads(draft_catalog_toml(text, None, UNITS))
    assert any("\n" in i["text"] for i in data["indicator"])
    assert all(i["text"] in text for i in data["indicator"])
