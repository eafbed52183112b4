"""Plans per year: lookup by the quarter's year, readiness, drafting, approval, and a
warehouse holding every year's plan side by side."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from plantrack.catalog import load_catalog
from plantrack.catalog_tables import continued_indicators, refresh_catalog_tables
from plantrack.periods import Quarter
from plantrack.plans import (
    PlanError,
    approve,
    catalog_for_quarter,
    check_plan,
    init_plan,
    known_plans,
    plan_for_year,
    ready_plan,
)
from plantrack.settings import load_settings
from tests.conftest import PLAN_2021
from transforms.models import run_models
from warehouse.db import connect

E2E = Path(__file__).resolve().parent / "fixtures" / "plans_e2e"


def _copy_2021_as(settings, year: int) -> Path:
    """The 2021 plan copied into the plans directory under another year."""
    folder = settings.plans / str(year)
    shutil.copytree(PLAN_2021, folder)
    shutil.rmtree(folder / "suites")
    cat = folder / "catalog.toml"
    cat.write_text(cat.read_text("utf-8").replace("year = 2021", f"year = {year}", 1), "utf-8")
    base = folder / "baselines.csv"
    base.write_text("indicator_id,unit,value,year,note\n", "utf-8")
    return folder


def test_the_built_in_plan_is_found_and_ready(settings):
    plans = known_plans(settings)
    assert plans[2021].builtin and plans[2021].folder == PLAN_2021
    assert catalog_for_quarter(settings, Quarter(2021, 2)).year == 2021
    assert check_plan(plans[2021]).errors == []


def test_a_year_without_a_plan_is_refused_with_what_to_do(settings):
    with pytest.raises(PlanError) as exc:
        catalog_for_quarter(settings, Quarter(2022, 1))
    assert "没有2022年的计划" in str(exc.value)
    assert "plantrack plan init" in str(exc.value) and "--year 2022" in str(exc.value)


def test_a_plan_in_the_plans_directory_wins_over_the_built_in_one(settings):
    folder = settings.plans / "2021"
    shutil.copytree(PLAN_2021, folder)
    assert plan_for_year(settings, 2021).folder == folder
    assert not plan_for_year(settings, 2021).builtin


def test_the_plans_directory_comes_from_the_settings(home, tmp_path):
    assert load_settings().plans == home / "plans"
    elsewhere = tmp_path / "elsewhere"
    assert load_settings({"PLANTRACK_HOME": str(home), "PLANTRACK_PLANS": str(elsewhere)}).plans == elsewhere
    (home / "plantrack.toml").write_text(f'[paths]\nplans = "{elsewhere}"\n', "utf-8")
    assert load_settings().plans == elsewhere


def test_the_quarters_year_picks_its_plan(settings):
    _copy_2021_as(settings, 2022)
    assert catalog_for_quarter(settings, Quarter(2022, 1)).year == 2022
    assert catalog_for_quarter(settings, Quarter(2021, 4)).year == 2021
    assert (settings.plans / "2022" / "suites" / "milestones.json").is_file()  # made when ready


def test_a_draft_plan_lists_every_blocking_problem_and_is_not_run(settings):
    plan = init_plan(settings, E2E / "plan.txt", 2027, E2E / "units.toml")
    assert (plan.folder / "plan.txt").read_text("utf-8") == (E2E / "plan.txt").read_text("utf-8")
    result = check_plan(plan)
    codes = {p.code for p in result.errors}
    assert {"draft", "allocation"} <= codes
    assert len(result.drafts) == len([p for p in result.errors if p.code == "draft"]) > 10
    assert any(p.code == "no_baseline" for p in result.warnings)
    with pytest.raises(PlanError) as exc:
        ready_plan(settings, 2027)
    assert "尚未就绪" in str(exc.value) and "尚未审核" in str(exc.value)


def test_the_draft_carries_the_plans_own_title_issuer_and_document_number():
    from plantrack.catalog import load_units
    from plantrack.extract.catalog_file import draft_catalog_toml

    units, _ = load_units(E2E / "units.toml")
    text = draft_catalog_toml((E2E / "plan.txt").read_text("utf-8"), 2027, list(units.values()))
    assert 'title = "2027年全市工业和信息化工作要点"' in text
    assert 'issuer = "青禾市工业和信息化局"' in text and 'document_number = "青工信发〔2027〕7号"' in text
    entries = [b for b in text.split("\n[[")[1:] if b.startswith(("indicator]]", "milestone]]"))]
    assert entries and all('\nreview = "draft"' in b for b in entries)
    assert "威海" not in text


def test_approve_clears_the_drafts_named_and_keeps_the_rest(settings):
    plan = init_plan(settings, E2E / "plan.txt", 2027, E2E / "units.toml")
    drafts = check_plan(plan).drafts
    assert approve(plan, drafts[:2]) == drafts[:2]
    assert check_plan(plan).drafts == drafts[2:]
    with pytest.raises(PlanError):
        approve(plan, ["NO-SUCH-ID"])
    assert approve(plan, None) == drafts[2:]
    assert check_plan(plan).drafts == []


def test_unknown_units_duplicates_and_missing_targets_are_errors(settings):
    folder = _copy_2021_as(settings, 2023)
    cat = folder / "catalog.toml"
    text = cat.read_text("utf-8")
    text = text.replace('\nunits = ["bureau"]', '\nunits = ["nobody"]', 1)
    text = text.replace('id = "M01-2"', 'id = "M01-1"', 1)
    text += (
        '\n[[indicator]]\nid = "X1"\nsection = 1\nitem = 1\nsubtask = 1\ntext = "t"\nname = "n"\n'
        'qualifier = "min"\ncumulative = false\nadditive = false\npacing = "linear"\n'
        'units = ["bureau"]\n'
    )
    cat.write_text(text, "utf-8")
    codes = {p.code for p in check_plan(plan_for_year(settings, 2023)).errors}
    assert {"unknown_unit", "duplicate_id", "no_unit_of_measure", "no_target"} <= codes


def test_indicators_continue_by_mapping_or_by_name_and_unit():
    cat = load_catalog(PLAN_2021 / "catalog.toml", PLAN_2021 / "units.toml")
    links = continued_indicators(cat, cat)
    assert links and all(links[i] == i for i in links)  # same name and unit
    assert continued_indicators(cat, None) == {}


def test_the_warehouse_keeps_each_years_plan_beside_the_others():
    cat21 = load_catalog(
        PLAN_2021 / "catalog.toml",
        PLAN_2021 / "units.toml",
        PLAN_2021 / "allocation.csv",
        PLAN_2021 / "baselines.csv",
    )
    cat22 = load_catalog(PLAN_2021 / "catalog.toml", PLAN_2021 / "units.toml", PLAN_2021 / "allocation.csv")
    cat22.year = 2022
    con = connect(":memory:")
    refresh_catalog_tables(con, cat21, 1.0, 0.5)
    refresh_catalog_tables(con, cat22, 1.0, 0.5, previous=cat21)
    run_models(con)
    years = dict(con.execute("select plan_year, count(*) from dim_indicator group by 1").fetchall())
    assert years == {2021: len(cat21.indicators), 2022: len(cat22.indicators)}
    linked = con.execute("select count(continues) from dim_indicator where plan_year = 2022").fetchone()
    assert linked[0] == len(cat22.indicators)
    assert con.execute("select issuer from dim_plan where plan_year = 2022").fetchone()[0] == cat21.issuer
    # loading 2021 again replaces 2021's rows only
    refresh_catalog_tables(con, cat21, 1.0, 0.5)
    assert con.execute("select count(*) from dim_indicator").fetchone()[0] == 2 * len(cat21.indicators)


def test_the_same_plan_loaded_again_rewrites_nothing_and_a_changed_one_is_rewritten():
    import dataclasses

    cat21 = load_catalog(PLAN_2021 / "catalog.toml", PLAN_2021 / "units.toml", PLAN_2021 / "allocation.csv")
    con = connect(":memory:")
    refresh_catalog_tables(con, cat21, 1.0, 0.5)
    before = con.execute("select rowid, indicator_id from dim_indicator order by rowid").fetchall()
    refresh_catalog_tables(con, cat21, 1.0, 0.5)  # the same rows: kept as they are (same rowids)
    assert con.execute("select rowid, indicator_id from dim_indicator order by rowid").fetchall() == before
    first = cat21.indicators[0]
    cat21.indicators[0] = dataclasses.replace(first, target=first.target + 1)  # a corrected target
    refresh_catalog_tables(con, cat21, 0.9, 0.5)
    target = con.execute(
        "select target from dim_indicator where plan_year = 2021 and indicator_id = ?", [first.id]
    ).fetchone()[0]
    assert target == first.target + 1
    assert con.execute("select behind from param_status").fetchall() == [(0.9,)]
    assert con.execute("select count(*) from dim_indicator").fetchone()[0] == len(cat21.indicators)


def test_a_warehouse_from_before_plan_years_keeps_its_catalog_rows(tmp_path):
    """Migration 009 gives the rows already loaded the year of the runs they served."""
    from warehouse.db import SCHEMA_DIR, migrate

    old = tmp_path / "old_schema"
    old.mkdir()
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        if path.name < "009":
            shutil.copy(path, old / path.name)
    con = duckdb.connect(":memory:")
    migrate(con, old)
    con.execute("insert into dim_unit values ('a', '甲区', '甲区局', 'district', 0)")
    con.execute("insert into runs values ('r1', '2021Q2', now(), null, 'completed', '')")
    migrate(con, SCHEMA_DIR)
    assert con.execute("select plan_year, unit from dim_unit").fetchall() == [(2021, "a")]


def test_a_new_year_takes_its_units_from_the_latest_earlier_plan_and_lists_its_title(settings, capsys):
    from plantrack.cli import main

    plan = init_plan(settings, E2E / "plan.txt", 2027, None)  # only the built-in 2021 plan before it
    assert (plan.folder / "units.toml").read_bytes() == (PLAN_2021 / "units.toml").read_bytes()
    assert check_plan(plan).title == "2027年全市工业和信息化工作要点"
    assert main(["plan", "list"]) == 0
    line = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("2027"))
    assert "草稿" in line and "2027年全市工业和信息化工作要点" in line
