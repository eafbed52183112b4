"""Every issue code any part of plantrack produces, registered once.

The codes themselves are written in ``plantrack.issues.codes``, one module per producer;
this module defines what a code is (``IssueType``), registers them and looks them up.

An entry says what one code means to a steward: its severity, a Chinese title
(``cause``), and the message and fix hint templates ``make_issue`` fills from the
issue's fields (``{found}``, ``{expected}``, ``{id}``, ``{name}``) and its details.
Constructing an ``Issue`` with a code that is not here raises, so a producer that
invents a code fails in its tests; tests/test_issue_registry.py also reads the source
tree for codes written into ``Issue(…)``, ``make_issue(…)`` and ``UnreadableFile(…)``.

Renderers (console, JSON, fix-it workbook, quality page, PDF appendix, reminders)
look the title up here by code, so a problem is called the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    ERROR = "error"  # the row (or file) is rejected and quarantined
    WARNING = "warning"  # the value loads and the problem is shown


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}
ERROR, WARNING = Severity.ERROR, Severity.WARNING


class UnknownIssueCode(ValueError):
    """An issue was made with a code the registry does not know, or at a severity it does
    not allow: a programming error, never a steward's."""


@dataclass(frozen=True)
class IssueType:
    """What one issue code means to a steward. Templates see the issue's fields and details."""

    code: str
    severity: Severity
    cause: str  # the title; completes “E列37个单元格…”, so problems of one cause group
    message: str
    hint: str
    may_warn: bool = False  # its check may raise it as a warning (an optional column missing)

    def allows(self, severity: Severity) -> bool:
        return severity == self.severity or (self.may_warn and severity == Severity.WARNING)


# The codes are written as IssueTypes, so they are read once the class above exists.
from plantrack.issues import codes  # noqa: E402


def _register(types: tuple[IssueType, ...]) -> MappingProxyType:
    registry: dict[str, IssueType] = {}
    for t in types:
        if t.code in registry:
            raise UnknownIssueCode(f"issue code {t.code!r} is registered twice")
        registry[t.code] = t
    return MappingProxyType(registry)


# code → IssueType, in the order of plantrack.issues.codes
REGISTRY: MappingProxyType = _register(codes.ALL_TYPES)
UNREADABLE_CODES = codes.UNREADABLE_CODES  # the codes of a file that cannot be read at all


def issue_type(code: str, severity: Severity | None = None) -> IssueType:
    """The registered meaning of ``code``; raises for an unknown code or a severity it
    does not allow."""
    try:
        t = REGISTRY[code]
    except KeyError:
        raise UnknownIssueCode(f"issue code {code!r} is not registered in plantrack/issues/codes/") from None
    if severity is not None and not t.allows(severity):
        raise UnknownIssueCode(f"issue code {code!r} is registered as {t.severity}, not {severity}")
    return t
