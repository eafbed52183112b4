"""The catalog loader: the real 2021 catalog holds together; broken ones are refused with reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plantrack.catalog import QUALIFIERS, CatalogError, load_catalog
from plantrack.settings import PLANS_DIR
from tests.conftest import SEED_PLAN


def test_real_catalog_covers_every_section_and_item(catalog):
    assert sorted(catalog.sections) == list(range(1, 8))
    assert sorted(catalog.items) == list(range(1, 22))
    items_with_entries = {e.item for e in (*catalog.indicators, *catalog.milestones)}
    assert items_with_entries == set(range(1, 22))


def test_every_indicator_text_is_a_verbatim_phrase_of_the_plan(catalog):
    plan = SEED_PLAN.read_text(encoding="utf-8")
    for entry in (*catalog.indicators, *catalog.milestones):
        assert entry.text in plan, entry.id


def test_known_two_level_targets(catalog):
    smes = catalog.indicator("I09-1-1")
    assert (smes.target, smes.stretch, smes.unit, smes.qualifier) == (1200, 1500, "家", "min")
    assert smes.cumulative and smes.additive
    funds = next(i for i in catalog.indicators if "产业基金" in i.text)
    assert (funds.target, funds.range_max, funds.qualifier) == (1, 2, "range")
    rd = next(i for i in catalog.indicators if "研发投入占GDP" in i.text)
    assert (rd.target, rd.unit, rd.qualifier) == (2.3, "%", "approx")
    assert (rd.additive, rd.units) == (False, ("bureau",))


def test_allocations_sum_to_city_targets(catalog):
    for ind in catalog.indicators:
        if ind.additive and len(ind.units) > 1:
            total = sum(catalog.unit_target(ind, u)[0] or 0 for u in ind.units)
            assert total >= ind.target, ind.id


def test_entries_have_the_plan_show_fields(catalog):
    required = {
        "id",
        "kind",
        "section",
        "item",
        "subtask",
        "text",
        "name",
        "unit",
        "target",
        "stretch",
        "range_max",
        "qualifier",
        "cumulative",
        "additive",
    }
    entries = catalog.entries()
    assert all(required <= set(e) for e in entries)
    kinds = {e["kind"] for e in entries}
    assert kinds == {"indicator", "milestone"}
    assert all(e["qualifier"] in QUALIFIERS for e in entries if e["kind"] == "indicator")


def _copy_catalog(tmp_path: Path) -> dict[str, Path]:
    names = ("catalog.toml", "units.toml", "allocation.csv", "baselines.csv")
    paths = {}
    for name in names:
        paths[name] = tmp_path / name
        shutil.copy(PLANS_DIR / "2021" / name, paths[name])
    return paths


def _load(paths):
    return load_catalog(
        paths["catalog.toml"], paths["units.toml"], paths["allocation.csv"], paths["baselines.csv"]
    )


def test_allocation_below_city_target_is_refused(tmp_path):
    paths = _copy_catalog(tmp_path)
    csv = paths["allocation.csv"]
    lines = csv.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("I09-1-1,huancui,"))
    cells = lines[row].split(",")
    cells[2] = "0"
    lines[row] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        _load(paths)
    assert any("I09-1-1" in p and "小于全市目标" in p for p in err.value.problems)


def test_unknown_unit_and_indicator_in_allocation_are_each_reported(tmp_path):
    paths = _copy_catalog(tmp_path)
    with paths["allocation.csv"].open("a", encoding="utf-8") as fh:
        fh.write("I99-9-9,huancui,1,,演示\nI09-1-1,atlantis,1,,演示\n")
    with pytest.raises(CatalogError) as err:
        _load(paths)
    problems = "\n".join(err.value.problems)
    assert "未知指标“I99-9-9”" in problems
    assert "未知填报单位“atlantis”" in problems


def test_duplicate_ids_and_bad_qualifier_are_reported_together(tmp_path):
    paths = _copy_catalog(tmp_path)
    text = paths["catalog.toml"].read_text(encoding="utf-8")
    text = text.replace('id = "I09-1-1"', 'id = "I09-2-1"', 1)
    text = text.replace('qualifier = "approx"', 'qualifier = "roughly"', 1)
    paths["catalog.toml"].write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        _load(paths)
    problems = "\n".join(err.value.problems)
    assert "编号重复：I09-2-1" in problems
    assert "roughly" in problems


@pytest.mark.parametrize(
    ("title", "issuer", "whole"),
    [
        ("2021年全市科技工作要点", "威海市科学技术局", "全市"),
        ("2022年全县科技工作要点", "荣阳县科学技术局", "全县"),  # the title says it
        ("石湖县2024年科技工作要点", "石湖县科学技术局", "全县"),  # the issuer's level
        ("2025年工作要点", "安澜高新技术产业开发区管理委员会", "全区"),
        ("2024年工作要点", "石湖县城市管理局", "全县"),  # 城市 is a department, not a level
        ("2024年工作要点", "威海市城市管理局", "全市"),
        ("2024年工作要点", "山东省威海市环翠区科学技术局", "全区"),  # the lowest level named
        ("2024年工作要点", "山东省科学技术厅", "全省"),
        ("2023年全区人才工作要点", "", "全区"),
        ("青河县2024年商务工作要点", "", "全县"),  # no issuer: the title's place
        ("2023年工作要点", "", "全市"),  # nothing to go on
    ],
)
def test_the_plans_whole_territory_is_named_as_the_plan_names_it(title, issuer, whole):
    from plantrack.catalog.model import whole_jurisdiction

    assert whole_jurisdiction(title, issuer) == whole


def test_a_county_plans_workbooks_say_the_county_and_read_back(tmp_path, catalog):
    """The planner's allocation and baseline workbooks name the plan's whole (全县目标); a
    baseline row of 全县, or of 全市 from a workbook written before, is the plan's own."""
    import dataclasses

    from openpyxl import load_workbook

    from plantrack.plan_workbooks.allocation import write_allocation_workbook
    from plantrack.plan_workbooks.baselines import (
        baseline_indicators,
        read_baselines_workbook,
        write_baselines_workbook,
    )

    county = dataclasses.replace(catalog, title="2021年全县科技工作要点")
    sheet = load_workbook(write_allocation_workbook(county, tmp_path / "a.xlsx")).active
    texts = [str(c.value) for row in sheet.iter_rows(max_row=3) for c in row if c.value]
    assert "全县目标" in texts and not any("全市" in t for t in texts)

    ind = baseline_indicators(county)[0]
    path = write_baselines_workbook(county, {(ind.id, "city"): 12.5}, tmp_path / "b.xlsx")
    wb = load_workbook(path)
    rows = [r for r in wb.active.iter_rows(min_row=4) if r[0].value == ind.id]
    assert "全县" in [r[3].value for r in rows] and "全市" not in [r[3].value for r in rows]

    def city_rows(book: Path) -> list[dict]:
        got = read_baselines_workbook(county, book)
        assert not got.errors
        return [r for r in got.rows if r["indicator_id"] == ind.id and r["unit"] == "city"]

    assert len(city_rows(path)) == 1
    next(r for r in rows if r[3].value == "全县")[3].value = "全市"  # as written before
    wb.save(tmp_path / "older.xlsx")
    assert len(city_rows(tmp_path / "older.xlsx")) == 1


@pytest.mark.parametrize(
    ("title", "issuer", "short", "brief"),
    [
        ("2021年全市科技工作要点", "威海市科学技术局", "全市科技工作要点", "科技工作要点落实情况简报"),
        ("2022年全县科技工作要点", "荣阳县科学技术局", "全县科技工作要点", "科技工作要点落实情况简报"),
        (
            "石湖县2024年科技工作要点",
            "石湖县科学技术局",
            "石湖县科技工作要点",
            "石湖县科技工作要点落实情况简报",
        ),
        (
            "滨江高新区2024年科技创新工作要点",
            "",
            "滨江高新区科技创新工作要点",
            "滨江高新区科技创新工作要点落实情况简报",
        ),
        # a year after something that is not a place stays: the title would change its sense
        (
            "青禾区商务局2023年工作总结及2024年工作计划",
            "",
            "青禾区商务局2023年工作总结及2024年工作计划",
            None,
        ),
    ],
)
def test_briefs_are_named_after_the_title_without_its_year(catalog, title, issuer, short, brief):
    import dataclasses

    plan = dataclasses.replace(catalog, title=title, issuer=issuer)
    assert plan.short_title == short
    assert plan.brief_name == (brief or f"{short}落实情况简报")


def _with_allocation(paths: dict, indicator: str, edit) -> None:
    csv = paths["allocation.csv"]
    lines = csv.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"{indicator},"):
            cells = line.split(",")
            edit(cells)
            lines[i] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_stretch_target_split_among_units_must_add_up(tmp_path):
    paths = _copy_catalog(tmp_path)
    _with_allocation(paths, "I09-1-1", lambda cells: cells.__setitem__(3, "1"))  # 力争 1 each
    with pytest.raises(CatalogError) as err:
        _load(paths)
    assert any("I09-1-1" in p and "各单位力争目标之和" in p for p in err.value.problems)


def test_a_stretch_target_not_split_stays_with_the_whole(tmp_path):
    """Units given floors alone (what ``plan allocate`` asks for): the plan is ready, and
    its 力争 target is the whole's."""
    paths = _copy_catalog(tmp_path)
    _with_allocation(paths, "I09-1-1", lambda cells: cells.__setitem__(3, ""))
    catalog = _load(paths)
    assert catalog.indicator("I09-1-1").stretch == 1500
    assert {a.stretch for a in catalog.allocations if a.indicator_id == "I09-1-1"} == {None}


@pytest.mark.parametrize(
    ("issuer", "leaders"),
    [
        ("威海市科学技术局", "局领导"),
        ("安澜高新技术产业开发区管理委员会", "委领导"),
        ("某市发展和改革委", "委领导"),
        ("山东省科学技术厅", "厅领导"),
        ("某县人民政府办公室", "办领导"),
        ("", "领导"),
    ],
)
def test_the_whole_plans_brief_goes_to_the_issuers_own_leaders(issuer, leaders):
    from plantrack.catalog.model import leaders_of

    assert leaders_of(issuer) == leaders
