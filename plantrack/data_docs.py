"""Great Expectations' own Data Docs of a run's validation results, for engineers.

Every string GX would render comes from a steward's file, so it is escaped first
(``_rendered_safely``); file names become safe identifiers.

Docs built from exactly the same verdicts as the last build are kept as they are (a run
again of the same files: GX renders ~0.1 s per validation, and needs its ~6 s import).
They then name the run that built them, which is the run that judged those files: a
cached verdict is that run's. A stamp beside ``index.html`` says what they were built
from: the verdicts' GX results, the suites, the installed GX and this module.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
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


STAMP = ".plantrack-built-from"  # beside index.html: the digest of what the docs show


def built_from(validations: Mapping[str, Validation], suites_dir: Path) -> str:
    """The digest of everything the docs would show and how they would show it."""
    digest = hashlib.sha256(importlib.metadata.version("great_expectations").encode() + b"\0")
    digest.update(Path(__file__).read_bytes())
    for suite in sorted(suites_dir.glob("*.json")):
        digest.update(f"\0{suite.name}\0".encode() + suite.read_bytes())
    for label in sorted(validations):
        packed = validations[label].gx_packed
        digest.update(f"\0{label}\0{len(packed)}\0".encode() + packed)
    return digest.hexdigest()


def build_data_docs(
    validations: Mapping[str, Validation], suites_dir: Path, target_dir: Path, run_name: str
) -> Path:
    """Render the GX results of a run as Data Docs in ``target_dir``; return its index.html.

    ``validations``: a label per submission (e.g. its id) → its verdict. One in-memory
    context, used only to render: nothing is validated again. Docs already built from
    the same verdicts are kept (``built_from``).
    """
    index, stamp = target_dir / "index.html", target_dir / STAMP
    wanted = built_from(validations, suites_dir)
    if index.is_file() and stamp.is_file() and stamp.read_text(encoding="ascii").strip() == wanted:
        return index
    stamp.unlink(missing_ok=True)  # docs half rebuilt are never taken for the stamped ones
    context = ephemeral_context()  # first: GX imported the way plantrack.validate.gx does
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

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
    stamp.write_text(wanted + "\n", encoding="ascii")
    return index
