"""Plan-text extractor: draft a plan catalog from the text of an annual work plan."""

from plantrack.extract.draft import extract_catalog, extract_indicators, extract_milestones, find_targets
from plantrack.extract.reading import PlanTextError, read_plan_text
from plantrack.extract.structure import parse_structure
from transforms.numerals import normalize_width, parse_number, parse_range

__all__ = [
    "PlanTextError",
    "extract_catalog",
    "extract_indicators",
    "extract_milestones",
    "find_targets",
    "normalize_width",
    "parse_number",
    "parse_range",
    "parse_structure",
    "read_plan_text",
]
