"""Validate a read submission: parse values, run its expectation suites, sort rows.

Every check has a stable code and a Chinese message and fix hint (``CHECKS``).
Cleaning problems (text that needed interpreting) come from the pure parsers
in ``transforms.cleaning``; row and column rules from the unit's Great
Expectations suite, generated from the catalog (``expectations/suites.py``);
identity, history and cross-file rules are plain Python here. All of them
become ``Issue``s. An error rejects its row, which is quarantined with its
reasons (an error about the file as a whole rejects every row); a warning
loads and is shown.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from openpyxl.utils import column_index_from_string, get_column_letter

from expectations.suites import RATIO_UNITS
from plantrack.catalog import Catalog, Indicator, Unit
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter, find_quarter, parse_quarter
from plantrack.reader import Submission, UnreadableFile, match_unit, read_submission
from plantrack.template import DATA_SHEET, MILESTONE_SHEET
from transforms.cleaning import (
    DATA_HEADER_SYNONYMS,
    DATA_LOOSE_RULES,
    MILESTONE_HEADER_SYNONYMS,
    MILESTONE_LOOSE_RULES,
    LooseRules,
    match_header,
    match_header_loosely,
    normalize_text,
    parse_number,
)

log = logging.getLogger(__name__)

STOCK_JUMP = 0.5  # a stock changing by more than half of last quarter's level is worth a look
PYTHON_SUITE = "plantrack"  # check results of the rules written in Python
PYTHON_CHECK_SEVERITY = {"ytd_decreased": Severity.ERROR, "stock_jump": Severity.WARNING,
                         "city_total_mismatch": Severity.WARNING}
HISTORY_CODES = ("ytd_decreased", "stock_jump")
CROSS_FILE_CODES = ("city_total_mismatch",)


@dataclass(frozen=True)
class Check:
    """What one issue code means to a steward. Templates see the issue's fields and details."""

    cause: str  # completes “E列37个单元格…”: groups problems of one cause in fix-it workbooks
    message: str
    hint: str


CHECKS: dict[str, Check] = {
    # the file as a whole
    "unreadable": Check("无法读取", "无法读取：{found}",
                        "请用 Excel 打开该文件确认内容完整，另存为 .xlsx 后重新报送。"),
    "unknown_unit": Check(
        "无法识别填报单位", "无法识别填报单位",
        "请在表头“填报单位”中填写单位全称（如“环翠区”），或使用系统下发的本单位模板。"),
    "unit_mismatch": Check(
        "填报单位与模板不一致", "表头填写的填报单位“{found}”与模板标识的单位“{expected}”不一致",
        "请确认本表是哪个单位的报表：如是{expected}的报表，请把表头“填报单位”改为“{expected}”；"
        "如用了其他单位的模板，请改用本单位的模板重新填报。"),
    "period_mismatch": Check(
        "报告期与模板不一致", "表头填写的报告期“{found}”与模板标识的报告期“{expected}”不一致",
        "请确认报告期：如填报的是{expected}的数据，请把表头“报告期”改为“{expected}”；"
        "否则请使用对应季度的模板重新填报。"),
    "filename_mismatch": Check(
        "文件名与表内信息不一致", "文件名中的{what}“{found}”与表内的{what}“{expected}”不一致",
        "请确认文件内容属于哪个单位、哪个季度，并改正文件名（如“2021Q2_环翠区_季度填报表.xlsx”）。"),
    "period_missing": Check(
        "未写明报告期", "表中没有写明报告期，已按{expected}处理",
        "请在表头“报告期”中填写，如“2021年第二季度”。"),
    "wrong_quarter": Check(
        "报告期不是本次汇总的季度", "报告期为{found}，与本次汇总的{expected}不一致",
        "请确认报告期；如报错季度，请用本季度模板重新填报。"),
    "missing_column": Check(
        "缺少必需的列", "表中缺少“{expected}”列",
        "请按模板恢复“{expected}”列（表头行写“{expected}”），不要删除或改名模板中的列。"),
    # indicator rows
    "missing_indicator_id": Check(
        "缺少指标编号", "该行没有填写指标编号", "请按模板补全“指标编号”，不要删除或修改编号列。"),
    "unknown_indicator": Check(
        "指标编号不属于本单位", "指标编号“{found}”不属于本单位的填报指标",
        "请核对指标编号，使用本单位模板中的编号；多余的行请删除。"),
    "duplicate_indicator": Check(
        "指标重复填报", "指标 {id} 填报了不止一行", "每个指标只保留一行，删除重复的行后重新报送。"),
    "missing_indicator": Check(
        "缺少应报指标", "缺少指标 {id}（{name}）",
        "请在表中补上该指标的一行；没有进展请填写 0 并在“说明”中写明原因。"),
    "uom_mismatch": Check(
        "计量单位与计划不一致", "“单位”列填写的是“{found}”，该指标的计量单位应为“{expected}”",
        "请把“单位”改回“{expected}”，并按“{expected}”换算“累计完成”的数值。"),
    "value_not_number": Check(
        "不是数字", "“累计完成”应为数字，但填写的是“{found}”",
        "请只填写数字（如 12），不要带单位或文字；单位以“单位”列为准。"),
    "value_empty": Check(
        "未填写", "指标 {id}（{name}）的“累计完成”为空", "请填写截至本季度末的累计数；没有进展请填写 0。"),
    "excel_error": Check(
        "为 Excel 错误值", "单元格是 Excel 错误值 {found}，不是数字",
        "请检查该单元格的公式，改为直接填写数值后重新报送。"),
    "wrong_unit": Check(
        "所带单位与指标单位不一致", "数值“{found}”带的单位与指标单位“{expected}”不一致",
        "请按“单位”列的单位换算后只填写数字。"),
    "negative_value": Check("为负数", "累计完成不能为负数（填写的是 {found}）", "请填写不小于 0 的数字。"),
    "percent_out_of_range": Check(
        "超出百分比的合理范围", "百分比超出合理范围：应为{expected}，填写的是 {found}",
        "请直接填写百分数的数值，如 2.3% 填写 2.3。"),
    "implausible_value": Check(
        "超过年度目标5倍", "数值 {found} 超过本单位年度目标（{target}）的{multiple}倍，请核实",
        "如数值无误请在“说明”中注明依据；如有误请改正。"),
    "number_as_text": Check(
        "为文本型数字", "数字以文本形式填写（“{found}”），已按 {expected} 读取",
        "请只填写数字，不要带单位、逗号或全角字符。"),
    "unit_converted": Check(
        "数值单位已换算", "数值单位与指标单位不同（“{found}”），已换算为 {expected}",
        "请按“单位”列的单位填写数字。"),
    "value_interpreted": Check(
        "为文字形式的数值", "“{found}”已按 {expected} 读取，请核实", "请只填写阿拉伯数字。"),
    # history
    "ytd_decreased": Check(
        "累计数低于上季度", "累计完成 {found} 低于上季度已采用的累计数 {expected}（年内累计数不会减少）",
        "请填写1月1日至本季度末的累计数（含以前季度），不是本季度的当季数；"
        "如上季度数有误，请在“说明”中写明并联系市科技局更正。"),
    "stock_jump": Check(
        "较上季度变化过大", "期末总量由上季度的 {previous} 变为 {found}，变化 {change}，请核实",
        "如数值无误，请在“说明”中写明原因（如统计口径调整）；如有误请改正。"),
    # milestone rows
    "missing_milestone_id": Check(
        "缺少任务编号", "该行没有填写任务编号", "请按模板补全“任务编号”，不要删除或修改编号列。"),
    "unknown_milestone": Check(
        "任务编号不在计划中", "任务编号“{found}”不在本年度计划中", "请使用模板中的任务编号。"),
    "duplicate_milestone": Check(
        "任务重复填报", "任务 {id} 填报了不止一行", "每项任务只保留一行，删除重复的行后重新报送。"),
    "invalid_status": Check(
        "进展状态不是可选值", "进展状态“{found}”不是可选值", "请从下拉列表中选择：未启动、推进中、已完成。"),
    "completed_without_evidence": Check(
        "已完成但没有说明或佐证", "任务 {id} 标记为“已完成”，但没有填写进展说明或佐证材料",
        "请在“进展说明”中写明完成情况，并在“佐证材料”中列出佐证文件的名称。"),
    # several files
    "city_total_mismatch": Check(
        "全市合计与各单位之和不一致", "全市合计 {found} 与各单位填报之和 {expected} 不一致",
        "请核对全市合计数和各单位的填报数，改正有误的一方后重新报送。"),
}

PARSE_ERRORS = {"not_a_number": "value_not_number", "empty": "value_empty",
                "excel_error": "excel_error", "wrong_unit": "wrong_unit"}
# Codes that reject every row of the file: without them nobody knows whose or which data it is.
FILE_LEVEL = {"unreadable", "unknown_unit", "unit_mismatch", "period_mismatch", "wrong_quarter",
              "missing_column"}
ROWLESS = {"missing_indicator"}  # an error without a cell that still leaves the other rows valid
# the reader's unlocated identity warnings; superseded by the located, graded checks here
SUPERSEDED_READER_CODES = {"identity_mismatch"}
DATA_COLUMN_TITLES = {"indicator_id": "指标编号", "name": "指标名称", "uom": "单位",
                      "target": "年度目标", "actual": "累计完成", "note": "说明"}
_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""


def make_issue(code: str, severity: Severity, name: str = "", details: dict | None = None,
               **fields) -> Issue:
    """An issue with the Chinese message and hint of ``code``, filled from its fields."""
    check = CHECKS[code]
    values = _Values(name=name, id=fields.get("indicator_id", ""), found=fields.get("found", ""),
                     expected=fields.get("expected", ""), **(details or {}))
    return Issue(code=code, severity=severity, message=check.message.format_map(values),
                 hint=check.hint.format_map(values), **fields)


def unreadable_issue(name: str, exc: UnreadableFile, units: dict[str, Unit]) -> Issue:
    """The verdict on a file that cannot be read at all: the reader's reason, with the unit
    its name suggests (so the steward who sent it can be told)."""
    issue = exc.as_issue(match_unit(Path(name).stem, units) or "")
    return dataclasses.replace(issue, file=issue.file or name)


def shown_number(value: float | None) -> str:
    """A number as a steward would write it: 1200, 23.89, never 1.2e+03."""
    if value is None:
        return ""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def cell_position(cell: str) -> tuple[int, str]:
    """(row, column letters) of an address such as E12; (0, "") when there is none."""
    m = _CELL_RE.match(cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, "")


@dataclass
class Validation:
    unit: str | None
    issues: list[Issue] = field(default_factory=list)
    accepted: pl.DataFrame | None = None  # indicator_id, actual, actual_cell, note, row_number …
    quarantined: pl.DataFrame | None = None  # … plus reasons
    milestones: pl.DataFrame | None = None  # accepted milestone rows
    milestones_quarantined: pl.DataFrame | None = None  # … plus reasons
    city_totals: pl.DataFrame | None = None  # a city-level unit's city-wide totals (not loaded)
    expectation_results: list[dict] = field(default_factory=list)  # one row per check run
    gx_results: list[dict] = field(default_factory=list)  # GX suite results as JSON, for Data Docs
    staged: pl.DataFrame | None = None  # every staged indicator row, for later checks
    staged_milestones: pl.DataFrame | None = None
    file: str = ""
    sheet: str = ""
    city_total_ids: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        """The whole file was refused (nothing of it can be used)."""
        return self.accepted is None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]


# -- staging -----------------------------------------------------------------

def stage_values(rows: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """Add ``actual`` (the number), ``parse_code`` and a normalised ``uom`` to the staged rows.

    The reader's own reading of the value cell (``actual_value``/``actual_code``: it
    knows the cell's kind and percent format) is used when present.
    """
    if "actual_value" in rows.columns:
        actual, code = rows["actual_value"], rows["actual_code"]
        detail = rows["actual_detail"]
    else:
        units = {i.id: i.unit for i in catalog.indicators}
        parsed = [parse_number(raw, units.get(ind or "", ""))
                  for ind, raw in zip(rows["indicator_id"], rows["actual_raw"], strict=True)]
        actual = pl.Series([p.value for p in parsed], dtype=pl.Float64)
        code = pl.Series([p.code for p in parsed], dtype=pl.String)
        detail = pl.Series([p.detail for p in parsed], dtype=pl.String)
    uom = [normalize_text(u).replace(" ", "") or None for u in rows["uom"]]
    return rows.with_columns(
        actual.cast(pl.Float64).alias("actual"), code.cast(pl.String).alias("parse_code"),
        detail.cast(pl.String).alias("parse_detail"), pl.Series("uom", uom, dtype=pl.String),
    )


def _title_key(text: str, synonyms: dict[str, tuple[str, ...]], rules: LooseRules) -> str | None:
    return match_header(text, synonyms) or match_header_loosely(text, rules)


def table_layout(cells: pl.DataFrame, sheet: str, synonyms: dict[str, tuple[str, ...]],
                 rules: LooseRules, id_key: str) -> tuple[int, dict[str, str]]:
    """(header row, {column key: letter}) of the table the reader found on ``sheet``.

    Columns come from the cells the reader assigned to them, and from the header
    titles for a column whose every cell below is empty.
    """
    in_sheet = cells.filter(pl.col("sheet") == sheet)
    body = in_sheet.filter(pl.col("header").is_not_null()).sort("row_number", "column_letter")
    letters: dict[str, str] = {}
    for key, letter in body.select("header", "column_letter").iter_rows():
        letters.setdefault(key, letter)
    first_row = body["row_number"].min() if body.height else None
    titles = in_sheet.filter(pl.col("header").is_null())
    if first_row is not None:
        titles = titles.filter(pl.col("row_number") < first_row)
    header_row = 0
    for n, letter, text in titles.sort("row_number").select(
            "row_number", "column_letter", "raw_text").iter_rows():
        key = _title_key(text, synonyms, rules)
        if key == id_key and (id_key not in letters or letters[id_key] == letter):
            header_row, letters[id_key] = n, letter  # the last title row above the table
    for letter, text in titles.filter(pl.col("row_number") >= header_row).select(
            "column_letter", "raw_text").iter_rows():
        key = _title_key(text, synonyms, rules)
        if key and header_row and key not in letters and letter not in letters.values():
            letters[key] = letter
    return header_row, letters


# -- Great Expectations --------------------------------------------------------

def _suite_data(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_suite(path: Path | dict):
    """A GX ExpectationSuite from a committed suite file (or its parsed JSON)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe  # noqa: F401  (registers expectation types)
    from great_expectations.expectations.registry import get_expectation_impl

    data = path if isinstance(path, dict) else _suite_data(path)
    expectations = []
    for exp in data["expectations"]:
        impl = get_expectation_impl(exp["type"])
        expectations.append(impl(**exp["kwargs"], meta=exp["meta"], severity=exp["severity"]))
    return gx.ExpectationSuite(name=data["name"], expectations=expectations)


def ephemeral_context():
    """An in-memory GX context without the temporary Data Docs folder one makes by default."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_suite(frame: pl.DataFrame, suite: Path | dict, index_column: str = "row_number"):
    """Validate a DataFrame with a suite; one fresh GX context per call (thread safe).

    Returns GX's ExpectationSuiteValidationResult (``.results`` holds one per expectation).
    """
    data = suite if isinstance(suite, dict) else _suite_data(suite)
    batch = (
        ephemeral_context().data_sources.add_pandas("submission")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    )
    return batch.validate(
        load_suite(data),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]},
    )


def add_lookup_columns(frame: pl.DataFrame, suite: dict) -> pl.DataFrame:
    """Add the per-indicator columns (e.g. ``plausible_max``) that the suite's rules compare."""
    for exp in suite["expectations"]:
        lookup = exp["meta"].get("lookup")
        if lookup:
            frame = frame.with_columns(
                pl.col(lookup["key"]).replace_strict(lookup["values"], default=None,
                                                     return_dtype=pl.Float64)
                .alias(lookup["column"]))
    return frame


def _severity(config) -> Severity:
    level = getattr(config.severity, "value", config.severity)
    return Severity.WARNING if str(level).lower() == "warning" else Severity.ERROR


def _raised(info: dict | None) -> bool:
    """Whether GX hit an exception (one dict, or one per metric) instead of judging the data."""
    if not info:
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(_raised(v) for v in info.values() if isinstance(v, dict))


def _result_row(suite: str, res) -> dict:
    cfg = res.expectation_config
    kwargs = cfg.kwargs
    return {
        "suite": suite, "expectation": cfg.type, "code": cfg.meta.get("code", ""),
        "severity": str(_severity(cfg)),
        "column_name": kwargs.get("column") or kwargs.get("column_B"),
        "success": bool(res.success),
        "element_count": int(res.result.get("element_count") or 0),
        "unexpected_count": int(res.result.get("unexpected_count") or 0),
    }


def _failed_hits(res) -> list[int] | None:
    """Row numbers a failed expectation points at; None when it failed for the table as a whole."""
    if res.success:
        return []
    if _raised(res.exception_info):
        # e.g. a rule on a column the file lacks (the missing_column issue says so); logged
        # for engineers, since a rule that could not run judged nothing
        log.warning("expectation %s could not run: %s", res.expectation_config.meta.get("code"),
                    res.exception_info)
        return []
    hits = res.result.get("unexpected_index_list")
    if hits is None:
        return None
    return [int(h["row_number"]) for h in hits]


# -- the indicator table ---------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    catalog: Catalog
    base: dict  # file, sheet, unit for every issue
    letters: dict[str, str]  # column key → letter
    header_row: int


def _row_issue(code: str, severity: Severity, row: dict, ctx: _Context, cfg_meta: dict) -> Issue:
    ind_id = row.get("indicator_id") or ""
    ind = ctx.catalog.indicators_by_id.get(ind_id)
    name = ind.name if ind else ""
    n = row["row_number"]
    if code in ("unknown_indicator", "missing_indicator_id", "duplicate_indicator"):
        return make_issue(code, severity, name=name, indicator_id=ind_id,
                          cell=row.get("indicator_id_cell") or "", found=ind_id,
                          expected="本单位模板中的指标编号（每个指标一行）", **ctx.base)
    if code == "uom_mismatch":
        return make_issue(code, severity, name=name, indicator_id=ind_id,
                          cell=f"{ctx.letters.get('uom', '')}{n}", found=row.get("uom") or "",
                          expected=ind.unit if ind else "", **ctx.base)
    if code == "value_not_number":
        code = PARSE_ERRORS.get(row.get("parse_code") or "", "value_not_number")
    found, expected, details = row.get("actual_raw") or "", "数字", {}
    if code == "wrong_unit":
        expected = ind.unit if ind else ""
    elif code == "negative_value":
        expected = "不小于 0 的数"
    elif code == "percent_out_of_range":
        found, expected = shown_number(row["actual"]), cfg_meta["expected"]
    elif code == "implausible_value":
        found = shown_number(row["actual"])
        multiple = cfg_meta.get("multiple_of_target", 5)
        details = {"target": shown_number(row["plausible_max"] / multiple), "multiple": multiple}
        expected = f"不超过 {shown_number(row['plausible_max'])}"
    return make_issue(code, severity, name=name, details=details, indicator_id=ind_id,
                      cell=row.get("actual_cell") or "", found=str(found), expected=expected,
                      **ctx.base)


def _bounds_text(kwargs: dict) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if high is None:
        return f"不小于 {shown_number(low)} 的数"
    return f" {shown_number(low)} 到 {shown_number(high)} 之间的数"


def _table_issue(code: str, severity: Severity, kwargs: dict, rows: dict[int, dict],
                 ctx: _Context) -> list[Issue]:
    """Issues of an expectation that fails for the table: a missing column or missing rows."""
    if code == "missing_column":
        title = DATA_COLUMN_TITLES.get(kwargs["column"], kwargs["column"])
        return [make_issue(code, severity, cell=f"A{ctx.header_row}" if ctx.header_row else "",
                           expected=title, **ctx.base)]
    if code == "missing_indicator":
        present = {r["indicator_id"] for r in rows.values()}
        return [make_issue(code, severity, name=ctx.catalog.indicator(i).name, indicator_id=i,
                           expected=f"{i} {ctx.catalog.indicator(i).name}", **ctx.base)
                for i in kwargs["value_set"] if i not in present]
    log.warning("expectation %s failed without row detail", code)
    return []


def _issues_from_results(results, rows: dict[int, dict], ctx: _Context) -> list[Issue]:
    issues = []
    for res in results:
        cfg = res.expectation_config
        code, severity = cfg.meta.get("code", cfg.type), _severity(cfg)
        hits = _failed_hits(res)
        if hits is None:
            issues += _table_issue(code, severity, cfg.kwargs, rows, ctx)
            continue
        meta = {**cfg.meta, "expected": _bounds_text(cfg.kwargs).strip()}
        issues += [_row_issue(code, severity, rows[n], ctx, meta) for n in hits]
    return issues


def _parse_warnings(staged: pl.DataFrame, ctx: _Context) -> list[Issue]:
    interpreted = staged.filter(pl.col("actual").is_not_null() & pl.col("parse_code").is_not_null())
    issues = []
    for r in interpreted.iter_rows(named=True):
        code = r["parse_code"] if r["parse_code"] in CHECKS else "value_interpreted"
        issues.append(make_issue(
            code, Severity.WARNING, indicator_id=r["indicator_id"] or "",
            cell=r["actual_cell"] or "", found=str(r["actual_raw"]),
            expected=shown_number(r["actual"]), **ctx.base,
        ))
    return issues


def _gx_frame(staged: pl.DataFrame, suite: dict, letters: dict[str, str]) -> pl.DataFrame:
    """The columns the suite checks; a column the sheet lacks is left out, so the rule sees it."""
    keep = ["row_number"] + [c for c in ("indicator_id", "uom", "actual", "note")
                             if c in letters or c in ("indicator_id", "actual")]
    return add_lookup_columns(staged.select(keep), suite)


def _check_indicators(staged: pl.DataFrame, ctx: _Context, suite_path: Path):
    """(issues, result rows, GX results as JSON, city-total indicator ids) of the unit's suite."""
    suite = _suite_data(suite_path)
    frame = _gx_frame(staged, suite, ctx.letters)
    result = run_suite(frame, suite)
    looked_up = [c for c in frame.columns if c not in staged.columns]
    rows = {r["row_number"]: r for r in staged.join(
        frame.select("row_number", *looked_up), on="row_number", how="left").iter_rows(named=True)}
    issues = _parse_warnings(staged, ctx) + _issues_from_results(result.results, rows, ctx)
    return (issues, [_result_row(suite["name"], r) for r in result.results],
            [result.to_json_dict()], tuple(suite["meta"].get("city_total_indicators", ())))


# -- milestones ------------------------------------------------------------------

def _milestone_frame(milestones: pl.DataFrame) -> pl.DataFrame:
    frame = milestones.filter(pl.col("milestone_id").is_not_null() | pl.col("status").is_not_null())
    support = pl.coalesce(
        pl.col("note").str.strip_chars().replace("", None),
        pl.col("evidence").str.strip_chars().replace("", None),
    )
    return frame.with_columns(support.alias("support"))


def _milestone_issue(code: str, severity: Severity, row: dict, letters: dict[str, str],
                     base: dict) -> Issue:
    n, ms_id = row["row_number"], row["milestone_id"] or ""
    id_cell = row.get("milestone_id_cell") or f"{letters.get('milestone_id', 'A')}{n}"
    if code == "invalid_status":
        return make_issue(code, severity, indicator_id=ms_id, cell=row["status_cell"] or "",
                          found=row["status"] or "", expected="未启动/推进中/已完成", **base)
    if code == "completed_without_evidence":
        letter = letters.get("note") or letters.get("evidence") or letters.get("status", "")
        return make_issue(code, severity, indicator_id=ms_id, cell=f"{letter}{n}", found="",
                          expected="进展说明或佐证材料", **base)
    return make_issue(code, severity, indicator_id=ms_id, cell=id_cell, found=ms_id,
                      expected="模板中的任务编号（每项任务一行）", **base)


def _check_milestones(sub: Submission, frame: pl.DataFrame, suites_dir: Path,
                      base: dict) -> tuple[list[Issue], list[dict], list[dict]]:
    if not frame.height:
        return [], [], []
    _, letters = table_layout(sub.cells, MILESTONE_SHEET, MILESTONE_HEADER_SYNONYMS,
                              MILESTONE_LOOSE_RULES, "milestone_id")
    suite = _suite_data(suites_dir / "milestones.json")
    result = run_suite(frame.select("row_number", "milestone_id", "status", "support"), suite)
    rows = {r["row_number"]: r for r in frame.iter_rows(named=True)}
    m_base = {**base, "sheet": MILESTONE_SHEET}
    issues = []
    for res in result.results:
        cfg = res.expectation_config
        issues += [_milestone_issue(cfg.meta["code"], _severity(cfg), rows[n], letters, m_base)
                   for n in _failed_hits(res) or []]
    return issues, [_result_row(suite["name"], r) for r in result.results], [result.to_json_dict()]


# -- identity ---------------------------------------------------------------------

def _labelled(cells: pl.DataFrame, sheet: str, label: str) -> tuple[str, str]:
    """(cell, text) of the value written beside a label such as 填报单位：.

    The value is in the label's own cell (填报单位：环翠区) or the next cell of the row;
    when it is empty, the cell is where it should have been written.
    """
    heads = cells.filter((pl.col("sheet") == sheet) & pl.col("header").is_null()).sort(
        "row_number", pl.col("column_letter").str.len_chars(), "column_letter")
    listed = list(heads.select("row_number", "column_letter", "cell", "raw_text").iter_rows())
    for i, (n, letter, cell, text) in enumerate(listed):
        t = normalize_text(text)
        if not t.startswith(label):
            continue
        rest = t[len(label):].lstrip(":：").strip()
        if rest:
            return cell, rest
        beside = get_column_letter(column_index_from_string(letter) + 1)
        if i + 1 < len(listed) and listed[i + 1][0] == n and listed[i + 1][1] == beside:
            return listed[i + 1][2], normalize_text(listed[i + 1][3])
        return f"{beside}{n}", ""
    return "", ""


def _identity_issues(sub: Submission, quarter: Quarter | None, units: dict[str, Unit],
                     base: dict) -> list[Issue]:
    """Unit and period: known, consistent between the workbook, its header and its name."""
    ident = sub.identity
    unit_cell, _ = _labelled(sub.cells, base["sheet"], "填报单位")
    period_cell, _ = _labelled(sub.cells, base["sheet"], "报告期")
    if ident.unit is None:
        return [make_issue("unknown_unit", Severity.ERROR, cell=unit_cell, expected="、".join(
            u.name for u in units.values()), **base)]
    issues = _header_identity(sub, units, base) + _filename_identity(sub, units, base)
    if ident.quarter is None:
        issues.append(make_issue("period_missing", Severity.WARNING, cell=period_cell,
                                 expected=quarter.label if quarter else "本次汇总的季度", **base))
    elif quarter is not None and ident.quarter != quarter:
        issues.append(make_issue("wrong_quarter", Severity.ERROR, cell=period_cell,
                                 found=ident.quarter.label, expected=quarter.label, **base))
    return issues


def _header_identity(sub: Submission, units: dict[str, Unit], base: dict) -> list[Issue]:
    """The visible header against the workbook's own identity (when the header says anything)."""
    ident, sheet, issues = sub.identity, base["sheet"], []
    cell, text = _labelled(sub.cells, sheet, "填报单位")
    if text and match_unit(text, units) != ident.unit:
        issues.append(make_issue("unit_mismatch", Severity.ERROR, cell=cell, found=text,
                                 expected=units[ident.unit].name, **base))
    cell, text = _labelled(sub.cells, sheet, "报告期")
    if text and ident.quarter and find_quarter(text) != ident.quarter:
        issues.append(make_issue("period_mismatch", Severity.ERROR, cell=cell, found=text,
                                 expected=ident.quarter.label, **base))
    return issues


def _filename_identity(sub: Submission, units: dict[str, Unit], base: dict) -> list[Issue]:
    ident, stem, issues = sub.identity, Path(base["file"]).stem, []
    unit = match_unit(stem, units)
    if unit and unit != ident.unit:
        issues.append(make_issue("filename_mismatch", Severity.WARNING, details={"what": "填报单位"},
                                 found=units[unit].name, expected=units[ident.unit].name, **base))
    period = find_quarter(stem)
    if period and ident.quarter and period != ident.quarter:
        issues.append(make_issue("filename_mismatch", Severity.WARNING, details={"what": "报告期"},
                                 found=period.label, expected=ident.quarter.label, **base))
    return issues


# -- history ----------------------------------------------------------------------

def previous_values(con: duckdb.DuckDBPyConnection, unit: str,
                    quarter: Quarter | str) -> dict[str, float]:
    """indicator_id → value accepted from ``unit``'s latest submission of the quarter before.

    Empty in Q1 (year-to-date figures start again each year) and when nothing was accepted.
    """
    q = parse_quarter(quarter) if isinstance(quarter, str) else quarter
    prev = q.previous()
    if prev is None:
        return {}
    rows = con.execute(
        """
        with latest as (
            select submission_id from raw_submissions
            where unit = ? and quarter = ?
            order by received_at desc, submission_id desc
            limit 1
        )
        select a.indicator_id, a.value
        from accepted_values as a join latest using (submission_id)
        """,
        [unit, prev.code],
    ).fetchall()
    return {ind: float(value) for ind, value in rows}


def _history_issue(ind: Indicator, value: float, before: float, row: dict,
                   base: dict) -> Issue | None:
    where = {"indicator_id": ind.id, "cell": row["actual_cell"] or "", **base}
    # a ratio's year-to-date value (a share, a growth rate) may well fall; a count may not
    if not ind.cumulative and ind.unit not in RATIO_UNITS and value < before - 1e-9:
        return make_issue("ytd_decreased", Severity.ERROR, name=ind.name, found=shown_number(value),
                          expected=f"不小于 {shown_number(before)}", **where)
    if ind.cumulative and before > 0 and abs(value - before) > STOCK_JUMP * before:
        change = f"{(value - before) / before:+.0%}"
        return make_issue("stock_jump", Severity.WARNING, name=ind.name,
                          details={"previous": shown_number(before), "change": change},
                          found=shown_number(value),
                          expected=f"与上季度 {shown_number(before)} 相差不超过{STOCK_JUMP:.0%}",
                          **where)
    return None


def history_issues(validation: Validation, catalog: Catalog,
                   previous: dict[str, float]) -> list[Issue]:
    """Year-to-date flows must not fall below last quarter's; stocks should not jump."""
    if validation.staged is None or validation.rejected or not previous:
        return []
    bad_rows = _error_rows(validation.issues, validation.sheet)
    base = {"file": validation.file, "sheet": validation.sheet, "unit": validation.unit or ""}
    issues = []
    for row in validation.staged.iter_rows(named=True):
        ind = catalog.indicators_by_id.get(row["indicator_id"] or "")
        if ind is None or row["actual"] is None or row["row_number"] in bad_rows:
            continue
        if ind.id in previous:
            issue = _history_issue(ind, row["actual"], previous[ind.id], row, base)
            if issue is not None:
                issues.append(issue)
    return issues


def with_history(validation: Validation, catalog: Catalog,
                 previous: dict[str, float] | None) -> Validation:
    """The verdict with the history checks (see ``previous_values``); running it again
    replaces the earlier history issues instead of adding to them."""
    base = with_issues(validation, [], replacing=HISTORY_CODES)
    extra = history_issues(base, catalog, previous or {})
    results = [_python_result(code, extra, base.staged.height if base.staged is not None else 0)
               for code in HISTORY_CODES] if previous else []
    return with_issues(base, extra, results, replacing=HISTORY_CODES)


# -- several files ----------------------------------------------------------------

def _sum_tolerance(reporters: int) -> float:
    # figures are typed with up to two decimals: each may be off by half a hundredth
    return 0.005 * (reporters + 1)


def _latest_by_unit(validations: list[Validation]) -> dict[str, Validation]:
    return {v.unit: v for v in validations if v.unit and not v.rejected}


def _city_total_issues(city: Validation, latest: dict[str, Validation],
                       catalog: Catalog) -> list[Issue]:
    if city.city_totals is None:
        return []
    found = (_city_total_issue(row, city, latest, catalog)
             for row in city.city_totals.iter_rows(named=True))
    return [i for i in found if i is not None]


def cross_file_issues(validations: list[Validation], catalog: Catalog) -> list[Issue]:
    """The units' sum against a city-wide total reported beside them, where both exist.

    ``validations``: the run's verdicts; for a unit with several, the last one counts
    (pass them in order of receipt).
    """
    latest = _latest_by_unit(validations)
    return [i for v in latest.values() for i in _city_total_issues(v, latest, catalog)]


def with_cross_file_checks(validations: list[Validation], catalog: Catalog) -> list[Validation]:
    """``validations`` with the cross-file issues added to the verdicts they concern
    (same order; running it again replaces the earlier cross-file issues)."""
    latest = _latest_by_unit(validations)
    out = []
    for v in validations:
        if v.city_totals is not None and latest.get(v.unit) is v:
            found = _city_total_issues(v, latest, catalog)
            result = _python_result("city_total_mismatch", found, v.city_totals.height)
            v = with_issues(v, found, [result], replacing=CROSS_FILE_CODES)
        out.append(v)
    return out


def _city_total_issue(row: dict, city: Validation, latest: dict[str, Validation],
                      catalog: Catalog) -> Issue | None:
    ind = catalog.indicator(row["indicator_id"])
    values = [_accepted_value(latest[u], ind.id) for u in ind.units if u in latest]
    values = [x for x in values if x is not None]
    if not values:
        return None
    total, summed, tol = row["actual"], sum(values), _sum_tolerance(len(ind.units))
    complete = len(values) == len(ind.units)
    if (complete and abs(summed - total) <= tol) or (not complete and summed <= total + tol):
        return None
    expected = (f"{shown_number(summed)}（{len(values)}个单位之和）" if complete else
                f"不小于已报送的{len(values)}/{len(ind.units)}个单位之和 {shown_number(summed)}")
    return make_issue("city_total_mismatch", Severity.WARNING, name=ind.name,
                      indicator_id=ind.id, file=city.file, sheet=city.sheet,
                      unit=city.unit or "", cell=row["actual_cell"] or "",
                      found=shown_number(total), expected=expected)


def _accepted_value(v: Validation, indicator_id: str) -> float | None:
    hit = v.accepted.filter(pl.col("indicator_id") == indicator_id)
    return float(hit["actual"][0]) if hit.height else None


# -- the verdict ------------------------------------------------------------------

def _error_rows(issues: list[Issue], sheet: str) -> dict[int, list[str]]:
    """Row number → messages of the errors located on that row of ``sheet``."""
    reasons: dict[int, list[str]] = {}
    for issue in issues:
        row, _ = cell_position(issue.cell)
        if issue.is_error and issue.sheet == sheet and row and issue.code not in FILE_LEVEL:
            reasons.setdefault(row, []).append(issue.message)
    return reasons


def _file_errors(issues: list[Issue]) -> list[str]:
    return [i.message for i in issues if i.is_error and (
        i.code in FILE_LEVEL or (not i.cell and i.code not in ROWLESS))]


def _quarantine(frame: pl.DataFrame, reasons: dict[int, list[str]],
                everyone: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, quarantined with every reason): rows with an error, or all rows of a refused file."""
    if everyone:
        reasons = {n: everyone + reasons.get(n, []) for n in frame["row_number"]}
    bad = pl.col("row_number").is_in(list(reasons))
    quarantined = frame.filter(bad).with_columns(
        pl.col("row_number").map_elements(lambda n: "；".join(reasons[n]), return_dtype=pl.String)
        .alias("reasons"))
    return frame.filter(~bad), quarantined


def _issue_order(data_sheet: str):
    sheets = {data_sheet: 1, MILESTONE_SHEET: 2}

    def key(issue: Issue):
        row, letters = cell_position(issue.cell)
        return (sheets.get(issue.sheet, 0) if issue.cell else 0, row, len(letters), letters)
    return key


def _verdict(v: Validation) -> Validation:
    """Sort the issues and split the rows by them."""
    issues = sorted(v.issues, key=_issue_order(v.sheet))
    refused = _file_errors(issues)
    kept, quarantined = _quarantine(v.staged, _error_rows(issues, v.sheet), refused)
    ms_kept, ms_quarantined = _quarantine(v.staged_milestones,
                                          _error_rows(issues, MILESTONE_SHEET), refused)
    is_total = pl.col("indicator_id").is_in(list(v.city_total_ids))
    return dataclasses.replace(
        v, issues=issues, quarantined=quarantined,
        accepted=None if refused else kept.filter(~is_total & pl.col("actual").is_not_null()),
        city_totals=None if refused else kept.filter(is_total & pl.col("actual").is_not_null()),
        milestones=None if refused else ms_kept.drop("support"),
        milestones_quarantined=ms_quarantined.drop("support"),
    )


def with_issues(validation: Validation, extra: list[Issue], results: list[dict] | None = None,
                replacing: tuple[str, ...] = ()) -> Validation:
    """The verdict with more issues (history, cross-file): rows re-split by every error.

    ``replacing``: codes of a check being run again; its earlier issues and results go.
    """
    issues = [i for i in validation.issues if i.code not in replacing] + extra
    results = [r for r in validation.expectation_results
               if not (r["suite"] == PYTHON_SUITE and r["code"] in replacing)] + (results or [])
    merged = dataclasses.replace(validation, issues=issues, expectation_results=results)
    return _verdict(merged) if merged.staged is not None else merged


def _python_result(code: str, issues: list[Issue], checked: int) -> dict:
    """A Python check as one row of check results, so quality over time sees it too."""
    hits = sum(1 for i in issues if i.code == code)
    return {"suite": PYTHON_SUITE, "expectation": f"plantrack.{code}", "code": code,
            "severity": str(PYTHON_CHECK_SEVERITY[code]), "column_name": "actual",
            "success": hits == 0, "element_count": checked, "unexpected_count": hits}


def validate_submission(sub: Submission, catalog: Catalog, quarter: Quarter | None,
                        suites_dir: Path, previous: dict[str, float] | None = None, *,
                        file_name: str | None = None) -> Validation:
    """The verdict on one read submission for ``quarter`` (None: the file's own period).

    ``previous``: indicator_id → the unit's accepted value of the quarter before
    (``previous_values``); without it the history checks are skipped. ``file_name``:
    the name the steward sent, when ``sub.path`` is another copy (the archive).
    """
    sheet = sub.rows["sheet"][0] if sub.rows.height else DATA_SHEET
    unit = sub.identity.unit
    name = file_name or sub.path.name
    base = {"file": name, "sheet": sheet, "unit": unit or ""}
    issues = [i if i.unit else dataclasses.replace(i, unit=unit or "")
              for i in sub.issues if i.code not in SUPERSEDED_READER_CODES]
    issues += _identity_issues(sub, quarter, catalog.units, base)
    v = Validation(unit=unit, file=name, sheet=sheet,
                   staged=stage_values(sub.rows, catalog),
                   staged_milestones=_milestone_frame(sub.milestones))
    results, gx_results = [], []
    if unit is not None and catalog.indicators_for(unit):
        # a missing suite file raises: stale suites are a deployment error (`make suites`),
        # never a reason to load figures unchecked
        suite_path = suites_dir / f"submission_{unit}.json"
        header_row, letters = table_layout(sub.cells, sheet, DATA_HEADER_SYNONYMS,
                                           DATA_LOOSE_RULES, "indicator_id")
        ctx = _Context(catalog, base, letters, header_row)
        found, results, gx_results, totals = _check_indicators(v.staged, ctx, suite_path)
        issues += found
        v = dataclasses.replace(v, city_total_ids=totals)
    if unit is not None:
        found, ms_results, ms_gx = _check_milestones(sub, v.staged_milestones, suites_dir, base)
        issues += found
        results, gx_results = results + ms_results, gx_results + ms_gx
    v = _verdict(dataclasses.replace(v, issues=issues, expectation_results=results,
                                     gx_results=gx_results))
    return with_history(v, catalog, previous) if previous else v


@dataclass
class FileVerdict:
    """One file read and judged: what ``plantrack check`` prints and the quarterly run loads."""

    submission: Submission | None
    validation: Validation | None
    unreadable: Issue | None = None

    @property
    def issues(self) -> list[Issue]:
        if self.unreadable is not None:
            return [self.unreadable]
        return self.validation.issues if self.validation else []


def check_file(path: Path, catalog: Catalog, quarter: Quarter | None, suites_dir: Path, *,
               display_name: str | None = None,
               previous: dict[str, float] | None = None) -> FileVerdict:
    """Read and validate one file; never raises for bad input.

    ``quarter`` None: judge the file for the period it names itself (``plantrack check``).
    """
    name = display_name or path.name
    try:
        sub = read_submission(path, catalog.units, display_name=name,
                              indicator_units={i.id: i.unit for i in catalog.indicators})
    except UnreadableFile as exc:
        return FileVerdict(None, None, unreadable_issue(name, exc, catalog.units))
    return FileVerdict(sub, validate_submission(sub, catalog, quarter, suites_dir, previous,
                                                file_name=name))
