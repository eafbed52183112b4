"""Chart geometry for the briefs: the templates only draw it, as inline SVG."""

from __future__ import annotations

from plantrack.report.formatting import format_percent

CHART_ROWS = 8  # behind-target items drawn as bars (all of them are listed in the table)
# SVG ignores the outer stylesheet's fill in WeasyPrint: charts take colours as attributes.
COLORS = {
    "done": "#1a7f37",
    "ok": "#2f6fb3",
    "behind": "#c77700",
    "severe": "#c62828",
    "nodata": "#8a8f98",
    "rejected": "#7b3fa0",
    "yearend": "#6b7785",
    "track": "#dfe3e8",
    "ink": "#1f2328",
    "muted": "#5b6470",
}


def bar_segments(parts: list[tuple[int, str]], width: float = 500) -> list[dict]:
    """The segments of one stacked bar, left to right: (count, colour) each."""
    total = sum(n for n, _ in parts) or 1
    x, segments = 0.0, []
    for n, color in parts:
        w = width * n / total
        segments.append(
            {
                "x": round(x, 1),
                "w": round(w, 1),
                "n": n,
                "color": color,
                "label_x": round(x + w / 2, 1),
                "show_n": w >= 14,
            }
        )
        x += w
    return segments


def status_chart(counts: list[dict], width: float = 500) -> dict:
    """One stacked bar of the status counts with a legend under it."""
    legend = [
        {
            "x": (i % 5) * 100,
            "y": 34 + (i // 5) * 13,
            "color": COLORS[c["css"]],
            "text": f"{c['status']} {c['n']}项",
        }
        for i, c in enumerate(counts)
    ]
    return {
        "width": width,
        "height": 34 + 13 * ((len(counts) + 4) // 5),
        "segments": bar_segments([(c["n"], COLORS[c["css"]]) for c in counts], width),
        "legend": legend,
    }


def work_done(actual: float | None, start: float | None, target: float | None) -> float | None:
    """Share of this year's work done: progress since the start of the year over the target's."""
    if actual is None or target is None:
        return None
    if start is None or target - start <= 0:
        return actual / target if target > 0 else None
    return (actual - start) / (target - start)


def behind_chart(items: list[dict], width: float = 500) -> dict:
    """Bars of this year's work done against the work expected by now (序时进度, in whole
    units for counts: ``work_expected``; the pacing share where that is unknown)."""
    label_w, bar_w, row_h = 150, 240, 15
    rows = []
    for n, r in enumerate(items[:CHART_ROWS]):
        expected_work = r.get("work_expected")
        if expected_work is None:
            expected_work = r["expected_share"]
        done = max(0.0, min(r["work_done"] or 0.0, 1.0))
        expected = max(0.0, min(expected_work or 0.0, 1.0))
        y = n * row_h + 2
        rows.append(
            {
                "y": y,
                "text_y": y + 9,
                "label": r["name"],
                "expected_w": round(bar_w * expected, 1),
                "done_w": round(bar_w * done, 1),
                "color": COLORS[r["css"]],
                "note": f"完成{format_percent(r['work_done'], 0)} / 应完成{format_percent(expected_work, 0)}",
                "note_x": label_w + bar_w + 6,
            }
        )
    return {"width": width, "height": len(rows) * row_h + 4, "rows": rows, "bar_x": label_w}


def sparkline(points: list[dict], css: str, width: float = 56, height: float = 16) -> dict:
    """A small trend across the year's quarters: work done (solid) against 序时 (dashed)."""
    done = {p["quarter_number"]: p["done"] for p in points if p["done"] is not None}
    expected = {p["quarter_number"]: p["expected"] for p in points if p["expected"] is not None}
    top = max([1.0, *done.values(), *expected.values()])
    top = min(top, 1.5)

    def xy(q: int, f: float) -> tuple[float, float]:
        f = max(0.0, min(f, top))
        return round(4 + (q - 1) * (width - 8) / 3, 1), round(height - 2 - f / top * (height - 4), 1)

    return {
        "width": width,
        "height": height,
        "color": COLORS[css],
        "track": COLORS["track"],
        "target_y": xy(1, 1.0)[1],
        "expected": " ".join(f"{x},{y}" for x, y in (xy(q, f) for q, f in sorted(expected.items()))),
        "done": " ".join(f"{x},{y}" for x, y in (xy(q, f) for q, f in sorted(done.items()))),
        "dots": [{"x": x, "y": y} for x, y in (xy(q, f) for q, f in sorted(done.items()))],
    }


def trend_points(history: list[dict]) -> list[dict]:
    """A sparkline's points from an indicator's year so far (``progress.trends``)."""
    points = []
    for h in history:
        start = h["start_level"] if h["qualifier"] != "max" else 0.0
        points.append(
            {
                "quarter_number": h["quarter_number"],
                "done": work_done(h["actual"], start, h["target"]),
                "expected": work_done(h["expected_to_date"], start, h["target"]),
            }
        )
    return points


RESULT_COLORS = {"stretch": "#0f5c2a", "floor": "#1a7f37", "missed": "#c62828", "none": "#8a8f98"}


def year_path(history: list[dict], met: bool | None, width: float = 150, height: float = 44) -> dict:
    """The year's path of one indicator: the figure at the end of each quarter (solid, with
    its value at the last one) against the expected path (dashed) and the target (a line).

    A stock starts from its start-of-year level (the point 年初); a flow from 0.
    """
    left, right, top_pad, bottom_pad = 4, 30, 4, 11
    by_q = {h["quarter_number"]: h for h in history}
    first = history[0] if history else {}
    start = first.get("start_level") if first.get("qualifier") != "max" else 0.0
    start = start or 0.0
    target = first.get("target")
    actual = {q: h["actual"] for q, h in by_q.items() if h["actual"] is not None}
    expected = {q: h["expected_to_date"] for q, h in by_q.items() if h["expected_to_date"] is not None}
    values = [start, *actual.values(), *expected.values()] + ([target] if target is not None else [])
    low, high = min(values), max(values)
    if high - low < 1e-9:
        high = low + 1.0
    span_x, span_y = width - left - right, height - top_pad - bottom_pad

    def xy(q: int, v: float) -> tuple[float, float]:
        return (round(left + q * span_x / 4, 1), round(top_pad + (high - v) / (high - low) * span_y, 1))

    def line(points: dict[int, float]) -> str:
        pts = {0: start, **points}
        return " ".join(f"{x},{y}" for x, y in (xy(q, v) for q, v in sorted(pts.items())))

    color = COLORS["done"] if met else COLORS["severe"] if met is False else COLORS["muted"]
    last_q = max(actual) if actual else None
    return {
        "width": width,
        "height": height,
        "color": color,
        "track": COLORS["track"],
        "target_y": xy(0, target)[1] if target is not None else None,
        "x0": left,
        "x1": left + span_x,
        "expected": line(expected) if expected else "",
        "done": line(actual) if actual else "",
        "dots": [{"x": x, "y": y} for x, y in (xy(q, v) for q, v in sorted(actual.items()))],
        "ticks": [{"x": xy(q, low)[0], "text": t} for q, t in enumerate(("年初", "一", "二", "三", "四"))],
        "tick_y": height - 2,
        "last": (
            {
                "x": xy(last_q, actual[last_q])[0] + 3,
                "y": xy(last_q, actual[last_q])[1] + 3,
                "value": actual[last_q],
            }
            if last_q
            else None
        ),
    }
