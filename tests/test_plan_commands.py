"""The plan commands as a bureau runs them: a new plan text to its first quarterly brief,
and a year rollover in one warehouse."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from plantrack.cli import main
from plantrack.periods import Quarter
from tests.conftest import PLAN_2021

E2E = Path(__file__).resolve().parent / "fixtures" / "plans_e2e"
WEIHAI = ("威海", "威科字", "科学技术局", "环翠", "文登", "荣成", "乳山")


def _json(capsys, argv: list[str]) -> tuple[int, object]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def _fill_allocation(path: Path, out: Path) -> None:
    """What the bureau does by hand: each unit an equal share, rounded up."""
    wb = load_workbook(path)
    ws = wb["目标分解"]
    for row in ws.iter_rows(min_row=4):
        inputs = [c for c in row if c.protection.locked is False]
        for c in inputs:
            c.value = math.ceil(row[3].value / len(inputs))
    wb.save(out)


def _fill_template(path: Path, out: Path, share: float) -> None:
    wb = load_workbook(path)
    ws = wb["填报"]
    for row in ws.iter_rows(min_row=5):
        if row[0].value and isinstance(row[3].value, int | float):
            row[4].value = round(row[3].value * share, 2)
    wb.save(out)


def test_plan_commands_have_chinese_help(capsys):
    for sub in ("init", "check", "approve", "allocate", "baselines", "list", "show"):
        with pytest.raises(SystemExit):
            main(["plan", sub, "--help"])
        out = capsys.readouterr().out
        assert any("\u4e00" <= ch <= "\u9fff" for ch in out), sub
        assert "2021" not in out and "威海" not in out


def test_plan_check_json_and_exit_codes(home, capsys):
    assert (
        main(["plan", "init", str(E2E / "plan.txt"), "--year", "2027", "--units", str(E2E / "units.toml")])
        == 0
    )
    capsys.readouterr()
    code, doc = _json(capsys, ["plan", "check", "--year", "2027", "--json"])
    assert code == 1 and doc["state"] == "draft" and doc["errors"] > 0
    assert all(p["message"] for p in doc["problems"])
    code, listed = _json(capsys, ["plan", "list", "--json"])
    assert code == 0
    assert {r["year"]: r["state"] for r in listed} == {2021: "ready", 2027: "draft"}
    assert next(r for r in listed if r["year"] == 2027)["quarters"][0] == "2027Q1"


def test_a_wrong_allocation_is_refused_with_the_cell_and_not_stored(home, tmp_path, capsys):
    main(["plan", "init", str(E2E / "plan.txt"), "--year", "2027", "--units", str(E2E / "units.toml")])
    main(["plan", "approve", "--year", "2027", "--all"])
    blank = tmp_path / "blank.xlsx"
    assert main(["plan", "allocate", "--year", "2027", "--out", str(blank)]) == 0
    filled = tmp_path / "filled.xlsx"
    _fill_allocation(blank, filled)
    wb = load_workbook(filled)
    wb["目标分解"]["E4"] = "三个"
    wb["目标分解"]["F5"] = 0  # row 5 now short of the city target (all others stay equal shares)
    wb["目标分解"]["G5"] = 0
    wb.save(filled)
    capsys.readouterr()
    assert main(["plan", "allocate", "--year", "2027", "--read", str(filled)]) == 1
    out = capsys.readouterr().out
    assert "E4" in out and "不是数字" in out and "小于全市目标" in out
    assert not (home / "plans" / "2027" / "allocation.csv").exists()
    # a workbook of another year is refused as such
    other = tmp_path / "other.xlsx"
    main(["plan", "allocate", "--year", "2021", "--out", str(other)])
    capsys.readouterr()
    assert main(["plan", "allocate", "--year", "2027", "--read", str(other)]) == 1
    assert "该工作簿是2021年计划的目标分解表" in capsys.readouterr().out


@pytest.mark.flow
def test_a_new_plan_from_its_text_to_its_first_brief(home, tmp_path, capsys):
    year = 2027
    assert (
        main(["plan", "init", str(E2E / "plan.txt"), "--year", str(year), "--units", str(E2E / "units.toml")])
        == 0
    )
    assert main(["plan", "check", "--year", str(year)]) == 1
    assert "尚未审核" in capsys.readouterr().out
    assert main(["plan", "approve", "--year", str(year), "--all"]) == 0
    blank, filled = tmp_path / "目标分解.xlsx", tmp_path / "目标分解_已填.xlsx"
    assert main(["plan", "allocate", "--year", str(year), "--out", str(blank)]) == 0
    _fill_allocation(blank, filled)
    assert main(["plan", "allocate", "--year", str(year), "--read", str(filled)]) == 0
    assert main(["plan", "check", "--year", str(year)]) == 0

    templates, inbox = tmp_path / "templates", tmp_path / "inbox"
    inbox.mkdir()
    assert main(["template", "--quarter", f"{year}Q1", "--all", "--out", str(templates)]) == 0
    for path in sorted(templates.glob("*.xlsx")):
        _fill_template(path, inbox / path.name, 0.3)
    assert len(list(inbox.iterdir())) >= 10
    capsys.readouterr()
    assert main(["run", "--quarter", f"{year}Q1", "--inbox", str(inbox)]) == 0
    capsys.readouterr()

    code, doc = _json(capsys, ["progress", "--quarter", f"{year}Q1", "--json"])
    assert code == 0
    catalog_ids = {
        r["indicator_id"]
        for r in csv.DictReader((home / "plans" / str(year) / "allocation.csv").open(encoding="utf-8"))
    }
    ids = {e["id"] for e in doc["indicators"]}
    assert catalog_ids <= ids
    names = " ".join(e["name"] for e in doc["indicators"])
    assert "新建5G基站" in names and not any(w in json.dumps(doc, ensure_ascii=False) for w in WEIHAI)

    pdfs = sorted((home / "out" / f"{year}Q1").rglob("*.pdf"))
    city = next(p for p in pdfs if "全市工业和信息化工作要点" in p.name)
    text = subprocess.run(["pdftotext", str(city), "-"], capture_output=True, text=True, check=True).stdout
    assert "青禾市工业和信息化局" in text and "青工信发〔2027〕7号" in text
    assert "东湖区" in text and "新建5G基站" in text
    assert not any(w in text for w in WEIHAI)


@pytest.mark.flow
def test_a_county_plan_with_floors_and_stretches_to_a_county_brief(home, tmp_path, capsys):
    """A county's published plan (石湖县, held out from the extractor's tuning): floors alone
    allocated make it ready, and its leaders read 全县, never 全市 or another city's names."""
    plan = Path(__file__).resolve().parent / "fixtures" / "plans" / "shihu_county_keji_2024"
    year = "2024"
    assert main(["plan", "init", f"{plan}.txt", "--year", year, "--units", f"{plan}.units.toml"]) == 0
    assert main(["plan", "approve", "--year", year, "--all"]) == 0
    blank, filled = tmp_path / "目标分解.xlsx", tmp_path / "目标分解_已填.xlsx"
    assert main(["plan", "allocate", "--year", year, "--out", str(blank)]) == 0
    assert load_workbook(blank)["目标分解"]["D3"].value == "全县目标"
    _fill_allocation(blank, filled)
    assert main(["plan", "allocate", "--year", year, "--read", str(filled)]) == 0
    capsys.readouterr()
    assert main(["plan", "check", "--year", year]) == 0, capsys.readouterr().out

    templates, inbox = tmp_path / "templates", tmp_path / "inbox"
    inbox.mkdir()
    assert main(["template", "--quarter", f"{year}Q2", "--all", "--out", str(templates)]) == 0
    for path in sorted(templates.glob("*.xlsx")):
        _fill_template(path, inbox / path.name, 0.3)
    assert main(["run", "--quarter", f"{year}Q2", "--inbox", str(inbox)]) == 0
    capsys.readouterr()

    out = home / "out" / f"{year}Q2"
    city = out / f"{year}Q2_石湖县科技工作要点落实情况简报.pdf"
    text = subprocess.run(["pdftotext", str(city), "-"], capture_output=True, text=True, check=True).stdout
    assert "全县" in text and "石湖县科学技术局" in text and "石科发〔2024〕5号" in text
    unit = next(out.glob(f"{year}Q2_chengguan_城关镇_*.pdf"))
    unit_text = subprocess.run(
        ["pdftotext", str(unit), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "占全县缺口" in unit_text
    for words in (text, unit_text):
        assert "全市" not in words
        assert not [w for w in WEIHAI if w in words and w != "科学技术局"]  # its issuer is one too


def _demo_quarter(settings, quarter: Quarter, inbox: Path) -> None:
    from plantrack.demo import make_demo_submissions
    from plantrack.plans import catalog_for_quarter

    make_demo_submissions(catalog_for_quarter(settings, quarter), quarter, inbox)


@pytest.mark.flow
def test_a_year_rollover_in_one_warehouse(home, settings, tmp_path, capsys):
    # last year on demo data: Q1 (shown beside this year's Q1) and Q4 (the start levels)
    _demo_quarter(settings, Quarter(2021, 1), tmp_path / "2021Q1")
    assert main(["run", "--quarter", "2021Q1", "--inbox", str(tmp_path / "2021Q1")]) == 0
    capsys.readouterr()
    _code, last_q1 = _json(capsys, ["progress", "--quarter", "2021Q1", "--json"])
    q4 = Quarter(2021, 4)
    _demo_quarter(settings, q4, tmp_path / "2021Q4")
    assert main(["run", "--quarter", "2021Q4", "--inbox", str(tmp_path / "2021Q4")]) == 0
    capsys.readouterr()
    _code, before = _json(capsys, ["progress", "--quarter", "2021Q4", "--json"])

    # the 2022 plan: the 2021 catalog for the same units, a year later, no start levels yet
    folder = home / "plans" / "2022"
    shutil.copytree(PLAN_2021, folder)
    shutil.rmtree(folder / "suites")
    (folder / "baselines.csv").write_text("indicator_id,unit,value,year,note\n", "utf-8")
    cat = folder / "catalog.toml"
    cat.write_text(cat.read_text("utf-8").replace("year = 2021", "year = 2022", 1), "utf-8")

    code, doc = _json(capsys, ["plan", "baselines", "--year", "2022", "--json"])
    assert code == 0 and doc["source_quarter"] == "2021Q4"
    city = {e["id"]: e["actual"] for e in before["indicators"]}
    stocks = [r for r in doc["found"] if r["unit"] == "city"]
    assert stocks
    for r in stocks:
        assert r["value"] == pytest.approx(city[r["indicator_id"]]), r
    stored = {
        (r["indicator_id"], r["unit"]): float(r["value"])
        for r in csv.DictReader((folder / "baselines.csv").open(encoding="utf-8"))
    }
    assert all(stored[(r["indicator_id"], r["unit"])] == pytest.approx(r["value"]) for r in doc["found"])

    q1 = Quarter(2022, 1)
    _demo_quarter(settings, q1, tmp_path / "2022Q1")
    assert main(["run", "--quarter", "2022Q1", "--inbox", str(tmp_path / "2022Q1")]) == 0
    capsys.readouterr()
    _code, after = _json(capsys, ["progress", "--quarter", "2022Q1", "--json"])
    start = {e["id"]: e["start_level"] for e in after["indicators"]}
    for r in stocks:
        ind = next(e for e in after["indicators"] if e["id"] == r["indicator_id"])
        if ind["cumulative"]:
            assert start[r["indicator_id"]] == pytest.approx(r["value"])  # paced from last Q4
            assert ind["status"] != "缺少基数"

    _code, again = _json(capsys, ["progress", "--quarter", "2021Q4", "--json"])
    assert again == before

    # the brief shows last year's figure at the same quarter beside this year's
    from plantrack import progress

    con = progress.open_warehouse(settings.warehouse_path)
    shown = progress.last_year_values(con, "2022Q1", "city")
    con.close()
    last = {e["id"]: e["actual"] for e in last_q1["indicators"] if e["actual"] is not None}
    assert shown and shown == pytest.approx({i: last[i] for i in shown})
    pdf = next((home / "out" / "2022Q1").rglob("2022Q1_全市*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "上年同期" in text
