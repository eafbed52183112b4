"""Render the quarterly briefs: a view model from the marts, Jinja2 HTML, WeasyPrint PDF.

- ``formatting``: numbers, dates and target wording, as Chinese readers expect them
- ``charts``: chart geometry (the templates draw it as inline SVG)
- ``briefs``: the Brief view model of the city's and each unit's brief
- ``rows``: the marts' rows decorated, sorted and grouped for a brief's templates
- ``lead_sentences``: the sentences that open a brief
- ``assessment``: the Assessment view model of the year-end assessment (a Q4 run's)
- ``render``: the locked-down renderer (HTML environment, bundled-only fetcher,
  strict PDF rendering, stamps of clean renders)
- ``jobs``: many briefs at once, in a pool of worker processes

Templates receive a prepared view model and never query anything. The names
below are the package's interface; import them from ``plantrack.report``.
"""

from __future__ import annotations

from plantrack.report.assessment import Assessment, city_assessment, unit_assessment
from plantrack.report.briefs import DEFAULT_TZ, STATUS_CLASS, Brief, city_brief, unit_brief
from plantrack.report.charts import COLORS, behind_chart, sparkline, status_chart, work_done
from plantrack.report.formatting import (
    css_string,
    display_unit,
    format_date,
    format_deadline,
    format_number,
    format_percent,
    format_time,
    report_date,
    target_note,
)
from plantrack.report.jobs import (
    BriefsFailed,
    Rendered,
    RenderJob,
    available_cores,
    brief_filename,
    is_current,
    render_changed,
    render_jobs,
    render_quarter_briefs,
    render_unit_briefs,
    unit_jobs,
)
from plantrack.report.render import (
    TEMPLATES_DIR,
    RenderError,
    render_brief,
    render_html,
    template_environment,
    write_pdf,
)

__all__ = [
    "Assessment",
    "city_assessment",
    "unit_assessment",
    "COLORS",
    "DEFAULT_TZ",
    "STATUS_CLASS",
    "TEMPLATES_DIR",
    "Brief",
    "BriefsFailed",
    "RenderError",
    "RenderJob",
    "Rendered",
    "available_cores",
    "behind_chart",
    "brief_filename",
    "city_brief",
    "css_string",
    "display_unit",
    "format_date",
    "format_deadline",
    "format_number",
    "format_percent",
    "format_time",
    "is_current",
    "render_brief",
    "render_changed",
    "render_html",
    "render_jobs",
    "render_quarter_briefs",
    "render_unit_briefs",
    "report_date",
    "sparkline",
    "status_chart",
    "target_note",
    "template_environment",
    "unit_brief",
    "unit_jobs",
    "work_done",
    "write_pdf",
]
