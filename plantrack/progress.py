"""Read computed progress from the warehouse marts, as plain rows."""

from __future__ import annotations

import duckdb

STATUS_ORDER = ("严重滞后", "滞后", "数据待核", "无数据", "正常推进", "已完成", "年末考核", "无目标")
BEHIND = ("严重滞后", "滞后")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def city_progress(con: duckdb.DuckDBPyConnection, quarter: str) -> list[dict]:
    return _rows(con, """
        select p.*, d.section, d.item, d.subtask, d.text
        from mart_city_progress p join dim_indicator d using (indicator_id)
        where p.quarter = ? order by d.section, d.item, d.subtask, p.indicator_id
    """, [quarter])


def unit_progress(con: duckdb.DuckDBPyConnection, quarter: str, unit: str | None = None) -> list[dict]:
    return _rows(con, """
        select p.*, d.section, d.item, d.subtask, u.name as unit_name
        from mart_unit_progress p
        join dim_indicator d using (indicator_id)
        join dim_unit u on u.unit = p.unit
        where p.quarter = ? and (? is null or p.unit = ?)
        order by u.ordinal, d.section, d.item, d.subtask, p.indicator_id
    """, [quarter, unit, unit])


def gap_contributors(con: duckdb.DuckDBPyConnection, quarter: str) -> dict[str, list[dict]]:
    """For each indicator, the units furthest below their expected-to-date, largest first."""
    rows = _rows(con, """
        select p.indicator_id, u.name as unit_name, p.gap_to_expected,
               p.gap_to_expected / nullif(sum(p.gap_to_expected) over (partition by p.indicator_id), 0)
                   as gap_share
        from mart_unit_progress p join dim_unit u on u.unit = p.unit
        where p.quarter = ? and p.gap_to_expected > 0
        order by p.indicator_id, p.gap_to_expected desc
    """, [quarter])
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["indicator_id"], []).append(r)
    return out


def submissions_overview(con: duckdb.DuckDBPyConnection, quarter: str) -> list[dict]:
    """Per unit: the latest submission, how many receipts, and its problems."""
    return _rows(con, """
        with issues as (
            select submission_id,
                   count(*) filter (where severity = 'error') as errors,
                   count(*) filter (where severity = 'warning') as warnings
            from submission_issues
            where run_id = (select max_by(run_id, started_at) from runs where quarter = ?)
            group by submission_id
        ),
        quarantined as (
            select submission_id, count(*) as rows_quarantined from quarantine_rows group by 1
        ),
        accepted as (
            select submission_id, count(*) as rows_accepted from accepted_values group by 1
        )
        select u.unit, u.name as unit_name, u.office, s.submission_id, s.received_at, s.receipts,
               f.original_name, coalesce(i.errors, 0) as errors, coalesce(i.warnings, 0) as warnings,
               coalesce(q.rows_quarantined, 0) as rows_quarantined,
               coalesce(a.rows_accepted, 0) as rows_accepted
        from dim_unit u
        left join int_latest_submissions s on s.unit = u.unit and s.quarter = ?
        left join raw_files f on f.file_hash = s.file_hash
        left join issues i on i.submission_id = s.submission_id
        left join quarantined q on q.submission_id = s.submission_id
        left join accepted a on a.submission_id = s.submission_id
        where u.unit in (select distinct unit from dim_indicator_unit)
        order by u.ordinal
    """, [quarter, quarter])


def quarantined_values(con: duckdb.DuckDBPyConnection, quarter: str) -> list[dict]:
    return _rows(con, """
        select u.name as unit_name, q.indicator_id, d.name as indicator_name, q.row_number,
               q.raw_value, q.reasons
        from quarantine_rows q
        join int_latest_submissions s on s.submission_id = q.submission_id
        left join dim_unit u on u.unit = q.unit
        left join dim_indicator d on d.indicator_id = q.indicator_id
        where q.quarter = ?
        order by u.name, q.row_number
    """, [quarter])


def unreadable_files(con: duckdb.DuckDBPyConnection, quarter: str) -> list[dict]:
    return _rows(con, """
        select i.file, i.message from submission_issues i
        where i.code = 'unreadable'
          and i.run_id = (select max_by(run_id, started_at) from runs where quarter = ?)
    """, [quarter])
