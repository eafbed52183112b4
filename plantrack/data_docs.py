"""Great Expectations' own Data Docs of a run's validation results, for engineers.

Every string GX would render comes from a steward's file, so it is escaped first
(``_rendered_safely``); file names become safe identifiers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from plantrack.validate import Validation, ephemeral_context, load_suite


def _escape_strings(value):
    """Every string HTML-escaped: GX Data Docs put unexpected values into the page as markup."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escape_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_strings(v) for k, v in value.items()}
    return value


def _rendered_safely(raw: dict) -> dict:
    """A suite result whose data-derived parts (unexpected values, errors) are escaped."""
    results = [
        {
            **r,
            "result": _escape_strings(r.get("result") or {}),
            "exception_info": _escape_strings(r.get("exception_info") or {}),
        }
        for r in raw["results"]
    ]
    return {**raw, "results": results}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "submission"


def build_data_docs(
    validations: Mapping[str, Validation], suites_dir: Path, target_dir: Path, run_name: str
) -> Path:
    """Render the GX results of a run as Data Docs in ``target_dir``; return its index.html.

    ``validations``: a label per submission (e.g. its id) → its verdict. One in-memory
    context, used only to render: nothing is validated again.
    """
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = ephemeral_context()
    context.add_data_docs_site(
        site_name="plantrack",
        site_config={
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(target_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run_id = RunIdentifier(run_name=_safe_name(run_name), run_time=datetime.now(UTC))
    schema, suites = ExpectationSuiteValidationResultSchema(), set()
    for label, validation in validations.items():
        for n, raw in enumerate(validation.gx_results):
            result = schema.load(_rendered_safely(raw))
            if result.suite_name not in suites:
                context.suites.add(load_suite(suites_dir / f"{result.suite_name}.json"))
                suites.add(result.suite_name)
            key = ValidationResultIdentifier(
                ExpectationSuiteIdentifier(name=result.suite_name), run_id, f"{_safe_name(label)}-{n}"
            )
            context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["plantrack"])
    return target_dir / "index.html"
