"""Problems found in a submission: the one model (``model``) and the one registry of codes
(``registry``)."""

from plantrack.issues.model import Issue, has_errors, make_issue
from plantrack.issues.registry import (
    REGISTRY,
    SEVERITY_LABEL,
    UNREADABLE_CODES,
    IssueType,
    Severity,
    UnknownIssueCode,
    issue_type,
)

__all__ = [
    "REGISTRY",
    "SEVERITY_LABEL",
    "UNREADABLE_CODES",
    "Issue",
    "IssueType",
    "Severity",
    "UnknownIssueCode",
    "has_errors",
    "issue_type",
    "make_issue",
]
