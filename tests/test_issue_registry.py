"""The one registry of issue codes: every code any part of plantrack produces is in it,
and nothing can make an issue with a code that is not."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import pytest

from plantrack.issues import REGISTRY, UNREADABLE_CODES, Issue, Severity, UnknownIssueCode, make_issue
from plantrack.reader import UnreadableFile
from plantrack.validate.checks import (
    FILE_LEVEL,
    PARSE_ERRORS,
    PARSE_WARNINGS,
    ROWLESS,
    SUPERSEDED_READER_CODES,
)
from plantrack.validate.cross_file import CROSS_FILE_CODES
from plantrack.validate.history import HISTORY_CODES
from plantrack.validate.suites import generate_suites

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("plantrack", "flows", "transforms", "benchmarks", "tests")
PRODUCERS = ("Issue", "make_issue", "UnreadableFile")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _code_argument(call: ast.Call, callee: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == "code":
            return kw.value
    if callee != "UnreadableFile" and call.args:
        return call.args[0]  # Issue(code, …), make_issue(code, …)
    return None


def written_codes() -> list[tuple[str, str, str]]:
    """(producer, code, where) for every code written as a literal into a producer's call."""
    found = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # the tests below make unregistered codes on purpose
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or _callee(node) not in PRODUCERS:
                    continue
                arg = _code_argument(node, _callee(node))
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    found.append((_callee(node), arg.value, where))
    return found


def test_every_code_written_into_an_issue_anywhere_is_registered():
    found = written_codes()
    unregistered = [(code, where) for _, code, where in found if code not in REGISTRY]
    assert unregistered == [], "register these codes in plantrack/issues/registry.py"
    producers = {producer for producer, _, _ in found}
    assert producers == set(PRODUCERS)  # the scan sees every kind of producer, so it can fail


def test_every_reason_the_reader_refuses_a_file_for_is_an_unreadable_code():
    raised = {code for producer, code, _ in written_codes() if producer == "UnreadableFile"}
    assert {"encrypted", "zip_bomb", "corrupt", "not_a_spreadsheet", "empty"} <= raised
    assert raised <= set(UNREADABLE_CODES)
    default = inspect.signature(UnreadableFile).parameters["code"].default
    assert default in UNREADABLE_CODES
    assert all(REGISTRY[c].severity == Severity.ERROR for c in UNREADABLE_CODES)


def test_the_codes_that_steer_the_verdict_are_registered():
    named = (
        FILE_LEVEL
        | ROWLESS
        | SUPERSEDED_READER_CODES
        | set(PARSE_ERRORS.values())
        | set(PARSE_WARNINGS)
        | set(HISTORY_CODES)
        | set(CROSS_FILE_CODES)
    )
    assert named - set(REGISTRY) == set()


def test_every_registered_code_is_produced_somewhere(catalog):
    """No entry outlives its check: each is written into a producer, raised by a suite, the
    reader's default reason, or read from a cleaning code (value_interpreted: any other
    interpreted value)."""
    suites = {
        e["meta"]["code"]
        for text in generate_suites(catalog).values()
        for e in json.loads(text)["expectations"]
    }
    default = inspect.signature(UnreadableFile).parameters["code"].default
    produced = (
        {code for _, code, _ in written_codes()}
        | suites
        | set(PARSE_ERRORS.values())
        | set(PARSE_WARNINGS)
        | {"value_interpreted", default}
    )
    assert set(REGISTRY) - produced == set()


def test_an_issue_with_an_unregistered_code_cannot_be_made():
    with pytest.raises(UnknownIssueCode, match="not_a_code"):
        Issue("not_a_code", Severity.ERROR, "随便写的问题")
    with pytest.raises(UnknownIssueCode, match="not_a_code"):
        make_issue("not_a_code")


def test_an_issue_is_made_only_at_a_severity_its_code_allows():
    with pytest.raises(UnknownIssueCode, match="ytd_decreased"):
        Issue("ytd_decreased", Severity.WARNING, "低于上季度")
    assert make_issue("stock_jump").severity == Severity.WARNING  # the registered one
    # an optional column (说明) may be missing with only a warning; a required one may not
    assert make_issue("missing_column", Severity.WARNING, expected="说明").severity == "warning"
    with pytest.raises(UnknownIssueCode):
        make_issue("number_as_text", Severity.ERROR)


def test_every_registered_code_renders_a_chinese_title_message_and_hint():
    for code, t in REGISTRY.items():
        assert t.code == code
        issue = make_issue(code, found="某值", expected="某值", indicator_id="I01-1-1", name="某指标")
        for text in (t.cause, issue.message, issue.hint):
            assert CHINESE.search(text) and "{" not in text and "}" not in text, (code, text)


def test_the_message_of_an_unreadable_file_is_the_readers_reason():
    issue = make_issue(
        "encrypted", details={"reason": "文件设置了打开密码（已加密），无法读取"}, file="a.xlsx"
    )
    assert issue.message == "无法读取：文件设置了打开密码（已加密），无法读取"
    assert issue.is_error and "密码" in issue.hint
