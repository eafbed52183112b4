"""Validate a read submission: parse values, run its expectation suite, sort rows.

Cleaning problems (text that needed interpreting) are found by the pure
parsers in ``transforms.cleaning``; rule problems by the unit's Great
Expectations suite, generated from the catalog. Both become ``Issue``s. A row
with an error is quarantined with its reasons; the rest of the workbook loads.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from plantrack.catalog import Catalog
from plantrack.issues import Issue, Severity
from plantrack.periods import Quarter
from plantrack.reader import Submission
from transforms.cleaning import parse_number

log = logging.getLogger(__name__)

# code → (message template, hint). Templates see: name, id, found, expected.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_indicator_id": ("该行没有填写指标编号", "请按模板补全“指标编号”，不要删除或修改编号列。"),
    "unknown_indicator": (
        "指标编号“{found}”不属于本单位的填报指标",
        "请核对指标编号，使用本单位模板中的编号；多余的行请删除。",
    ),
    "duplicate_indicator": (
        "指标 {id} 填报了不止一行", "每个指标只保留一行，删除重复的行后重新报送。"),
    "missing_indicator": (
        "缺少指标 {id}（{name}）", "请在表中补上该指标的一行；没有进展请填写 0 并在“说明”中写明原因。"),
    "value_not_number": (
        "“累计完成”应为数字，但填写的是“{found}”",
        "请只填写数字（如 12），不要带单位或文字；单位以“单位”列为准。"),
    "value_empty": ("指标 {id}（{name}）的“累计完成”为空", "请填写截至本季度末的累计数；没有进展请填写 0。"),
    "excel_error": (
        "单元格是 Excel 错误值 {found}，不是数字",
        "请检查该单元格的公式，改为直接填写数值后重新报送。"),
    "wrong_unit": (
        "数值带的单位与指标单位不一致（{found}）", "请按“单位”列的单位换算后只填写数字。"),
    "negative_value": ("累计完成不能为负数（填写的是 {found}）", "请填写不小于 0 的数字。"),
    "percent_out_of_range": (
        "百分比应在 0 到 100 之间（填写的是 {found}）", "请直接填写百分数的数值，如 2.3% 填写 2.3。"),
    "implausible_value": (
        "数值 {found} 超过本单位年度目标的5倍（{expected}），请核实", "如数值无误请在“说明”中注明依据；如有误请改正。"),
    "number_as_text": (
        "数字以文本形式填写（“{found}”），已按 {expected} 读取", "请只填写数字，不要带单位、逗号或全角字符。"),
    "unit_converted": (
        "数值单位与指标单位不同（“{found}”），已换算为 {expected}", "请按“单位”列的单位填写数字。"),
    "unknown_milestone": ("任务编号“{found}”不在本年度计划中", "请使用模板中的任务编号。"),
    "invalid_status": (
        "进展状态“{found}”不是可选值", "请从下拉列表中选择：未启动、推进中、已完成。"),
    "unknown_unit": (
        "无法识别填报单位", "请在表头“填报单位”中填写单位全称（如“环翠区科技局”），或使用系统下发的模板。"),
    "wrong_quarter": (
        "报告期为 {found}，与本次汇总的 {expected} 不一致", "请确认报告期；如报错季度，请用本季度模板重新填报。"),
}

PARSE_ERRORS = {"not_a_number", "excel_error", "wrong_unit", "empty"}
PARSE_WARNINGS = {"number_as_text", "unit_converted"}


def make_issue(code: str, severity: Severity, **fields) -> Issue:
    template, hint = MESSAGES[code]
    values = {"name": "", "id": fields.get("indicator_id", ""), "found": "", "expected": ""}
    values.update({k: v for k, v in fields.items() if k in ("name", "found", "expected")})
    return Issue(code=code, severity=severity, message=template.format(**values), hint=hint,
                 **{k: v for k, v in fields.items() if k != "name"})


@dataclass
class Validation:
    unit: str | None
    issues: list[Issue] = field(default_factory=list)
    accepted: pl.DataFrame | None = None  # indicator_id, actual, actual_cell, note, row_number
    quarantined: pl.DataFrame | None = None  # … plus reasons
    milestones: pl.DataFrame | None = None
    expectation_results: list[dict] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        """The whole file was refused (nothing of it can be used)."""
        return self.accepted is None


def stage_values(rows: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """Add ``actual`` (parsed number) and ``parse_code`` to the staged rows."""
    units = {i.id: i.unit for i in catalog.indicators}
    parsed = [
        parse_number(raw, units.get(ind or "", ""))
        for ind, raw in zip(rows["indicator_id"], rows["actual_raw"], strict=True)
    ]
    return rows.with_columns(
        pl.Series("actual", [p.value for p in parsed], dtype=pl.Float64),
        pl.Series("parse_code", [p.code for p in parsed], dtype=pl.String),
        pl.Series("parse_detail", [p.detail for p in parsed], dtype=pl.String),
    )


def load_suite(path: Path):
    import great_expectations as gx
    import great_expectations.expectations as gxe  # noqa: F401  (registers expectation types)
    from great_expectations.expectations.registry import get_expectation_impl

    data = json.loads(path.read_text(encoding="utf-8"))
    expectations = []
    for exp in data["expectations"]:
        impl = get_expectation_impl(exp["type"])
        expectations.append(impl(**exp["kwargs"], meta=exp["meta"], severity=exp["severity"]))
    return gx.ExpectationSuite(name=data["name"], expectations=expectations)


def run_suite(frame: pl.DataFrame, suite_path: Path, index_column: str = "row_number") -> list:
    """Validate a DataFrame with a committed suite; one fresh GX context per call (thread safe)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # in memory, and without the temporary Data Docs folder an ephemeral context makes by default
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch = (
        context.data_sources.add_pandas("submission")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    )
    result = batch.validate(
        load_suite(suite_path),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]},
    )
    return list(result.results)


def _row_lookup(frame: pl.DataFrame) -> dict[int, dict]:
    return {r["row_number"]: r for r in frame.iter_rows(named=True)}


def _severity(config) -> Severity:
    return Severity.WARNING if str(config.severity).endswith("warning") else Severity.ERROR


def _issues_from_results(results, rows: dict[int, dict], catalog: Catalog, base: dict,
                         unit: str) -> list[Issue]:
    issues = []
    for res in results:
        cfg = res.expectation_config
        code = cfg.meta.get("code", cfg.type)
        if res.success:
            continue
        severity = _severity(cfg)
        if code == "missing_indicator":
            present = {r["indicator_id"] for r in rows.values()}
            for ind_id in cfg.kwargs["value_set"]:
                if ind_id not in present:
                    ind = catalog.indicator(ind_id)
                    issues.append(make_issue(code, severity, indicator_id=ind_id, name=ind.name,
                                             expected=f"{ind_id} {ind.name}", **base))
            continue
        for hit in res.result.get("unexpected_index_list") or []:
            row = rows[int(hit["row_number"])]
            issues.append(_row_issue(code, severity, row, catalog, base, unit, cfg.kwargs))
    return issues


def _row_issue(code, severity, row, catalog: Catalog, base, unit, kwargs) -> Issue:
    ind_id = row.get("indicator_id") or ""
    ind = catalog.indicators_by_id.get(ind_id)
    name = ind.name if ind else ""
    if code in ("unknown_indicator", "missing_indicator_id", "duplicate_indicator"):
        cell = row.get("indicator_id_cell") or ""
        return make_issue(code, severity, indicator_id=ind_id, name=name, cell=cell,
                          found=ind_id, expected="本单位模板中的指标编号", **base)
    if code == "value_not_number":
        parse_code = row.get("parse_code") or "not_a_number"
        code = {"empty": "value_empty", "excel_error": "excel_error",
                "wrong_unit": "wrong_unit"}.get(parse_code, "value_not_number")
    found = row.get("actual_raw") or ""
    expected = "数字"
    if code == "implausible_value":
        expected = f"不超过 {kwargs['max_value']:g}"
    elif code in ("negative_value", "percent_out_of_range"):
        expected = "0 到 100 之间的数" if code == "percent_out_of_range" else "不小于 0 的数"
    return make_issue(code, severity, indicator_id=ind_id, name=name,
                      cell=row.get("actual_cell") or "", found=str(found), expected=expected, **base)


def _parse_warnings(staged: pl.DataFrame, base: dict) -> list[Issue]:
    issues = []
    for r in staged.filter(pl.col("parse_code").is_in(list(PARSE_WARNINGS))).iter_rows(named=True):
        issues.append(make_issue(
            r["parse_code"], Severity.WARNING, indicator_id=r["indicator_id"] or "",
            cell=r["actual_cell"] or "", found=str(r["actual_raw"]), expected=f"{r['actual']:g}",
            **base,
        ))
    return issues


def _identity_issues(sub: Submission, quarter: Quarter, units, base: dict) -> list[Issue]:
    issues = []
    if sub.identity.unit is None:
        issues.append(make_issue("unknown_unit", Severity.ERROR, sheet=base["sheet"],
                                 expected="、".join(u.name for u in units.values()),
                                 file=base["file"]))
    if sub.identity.quarter is not None and sub.identity.quarter != quarter:
        issues.append(make_issue("wrong_quarter", Severity.ERROR, file=base["file"],
                                 sheet=base["sheet"], found=sub.identity.quarter.label,
                                 expected=quarter.label))
    return issues


def validate_submission(sub: Submission, catalog: Catalog, quarter: Quarter,
                        suites_dir: Path) -> Validation:
    """The verdict on one read submission for ``quarter``: issues, accepted and quarantined rows."""
    sheet = sub.rows["sheet"][0] if sub.rows.height else "填报"
    base = {"file": sub.path.name, "sheet": sheet, "unit": sub.identity.unit or ""}
    issues = list(sub.issues) + _identity_issues(sub, quarter, catalog.units, base)
    unit = sub.identity.unit
    if any(i.is_error for i in issues) or unit is None:
        return Validation(unit=unit, issues=issues)
    suite_path = suites_dir / f"submission_{unit}.json"
    staged = stage_values(sub.rows, catalog)
    results = run_suite(staged, suite_path) if staged.height else []
    rows = _row_lookup(staged)
    issues += _parse_warnings(staged, base)
    issues += _issues_from_results(results, rows, catalog, base, unit)
    issues += _milestone_issues(sub, suites_dir, base)
    accepted, quarantined = _split(staged, issues)
    return Validation(
        unit=unit, issues=issues, accepted=accepted, quarantined=quarantined,
        milestones=sub.milestones, expectation_results=[_result_row(r) for r in results],
    )


def _milestone_issues(sub: Submission, suites_dir: Path, base: dict) -> list[Issue]:
    frame = sub.milestones.filter(pl.col("milestone_id").is_not_null() | pl.col("status").is_not_null())
    frame = frame.with_columns(pl.col("status").fill_null("未启动"))
    if not frame.height:
        return []
    results = run_suite(frame, suites_dir / "milestones.json")
    rows = _row_lookup(frame)
    issues = []
    m_base = {**base, "sheet": "重点任务"}
    for res in results:
        if res.success:
            continue
        code = res.expectation_config.meta["code"]
        for hit in res.result.get("unexpected_index_list") or []:
            row = rows[int(hit["row_number"])]
            found = row["milestone_id"] if code == "unknown_milestone" else row["status"]
            cell = row["status_cell"] if code == "invalid_status" else f"A{row['row_number']}"
            issues.append(make_issue(code, Severity.ERROR, indicator_id=row["milestone_id"] or "",
                                     cell=cell or "", found=found or "", expected="未启动/推进中/已完成",
                                     **m_base))
    return issues


def _split(staged: pl.DataFrame, issues: list[Issue]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with an error go to quarantine with every reason; the rest are accepted."""
    reasons: dict[int, list[str]] = {}
    cell_rows = {c: r for r, c1, c2 in staged.select("row_number", "actual_cell",
                                                    "indicator_id_cell").iter_rows()
                 for c in (c1, c2)}
    for issue in issues:
        if issue.is_error and issue.sheet != "重点任务" and issue.cell in cell_rows:
            reasons.setdefault(cell_rows[issue.cell], []).append(issue.message)
    bad = pl.col("row_number").is_in(list(reasons))
    quarantined = staged.filter(bad).with_columns(
        pl.col("row_number").map_elements(lambda n: "；".join(reasons[n]), return_dtype=pl.String)
        .alias("reasons")
    )
    accepted = staged.filter(~bad & pl.col("actual").is_not_null())
    return accepted, quarantined


def _result_row(res) -> dict:
    cfg = res.expectation_config
    return {
        "expectation": cfg.type, "code": cfg.meta.get("code", ""),
        "column_name": cfg.kwargs.get("column"), "success": bool(res.success),
        "unexpected_count": int(res.result.get("unexpected_count") or 0),
    }
