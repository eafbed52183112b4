"""The lead of a brief: the sentences that open it, each from the rows already decorated.

They count the indicators by status (at Q4: met or missed), the 重点任务, the
submissions, and what moved since the previous quarter.
"""

from __future__ import annotations

from plantrack import progress

JUDGED = ("严重滞后", "滞后", "正常推进", "已完成")  # worse to better


def indicator_sentence(counts: list[dict]) -> str:
    parts = [f"{c['status']}{c['n']}项" for c in counts if c["status"] not in ("年末考核", "无目标")]
    extra = {c["status"]: c["n"] for c in counts if c["status"] in ("年末考核", "无目标")}
    tail = f"，另有{extra['年末考核']}项为年末考核指标" if "年末考核" in extra else ""
    total = sum(c["n"] for c in counts)
    return f"纳入调度的{total}项量化指标中，{'、'.join(parts)}{tail}。"


def milestone_sentence(items: list[dict]) -> str:
    if not items:
        return ""
    counts = {s: sum(1 for m in items if m["status"] == s) for s in progress.MILESTONE_STATUSES}
    parts = "、".join(f"{s}{n}项" for s, n in counts.items() if n)
    return f"{len(items)}项重点任务中，{parts}。"


def submission_sentence(subs: list[dict]) -> str:
    used = [s for s in subs if s["state"] == "已采用"]
    text = f"应报送单位{len(subs)}个，已采用{len(used)}个单位的报送数据"
    missing = [s["unit_name"] for s in subs if s["state"] == "未报送"]
    refused = [s["unit_name"] for s in subs if s["state"] == "整份退回"]
    if missing:
        text += f"；未报送：{'、'.join(missing)}"
    if refused:
        text += f"；报送文件未通过校验：{'、'.join(refused)}"
    return text + "。"


def change_sentence(rows: list[dict], before: list[dict]) -> str:
    """What improved and what slipped since the previous quarter (status moved up or down)."""
    was = {r["indicator_id"]: r["status"] for r in before}
    up, down = [], []
    for r in rows:
        old, new = was.get(r["indicator_id"]), r["status"]
        if old in JUDGED and new in JUDGED and old != new:
            (up if JUDGED.index(new) > JUDGED.index(old) else down).append(r["name"])
    if not up and not down:
        return "与上季度相比，各指标状态没有变化。" if was else ""

    def names(items: list[str]) -> str:
        return "、".join(items[:3]) + ("等" if len(items) > 3 else "")

    parts = []
    if up:
        parts.append(f"{len(up)}项好转（{names(up)}）")
    if down:
        parts.append(f"{len(down)}项转差（{names(down)}）")
    return "与上季度相比，" + "，".join(parts) + "。"


def year_end_sentence(rows: list[dict]) -> str:
    judged = [r for r in rows if r["status"] in JUDGED]
    met = sum(1 for r in judged if r["label"] in ("完成", "超额完成"))
    over = sum(1 for r in judged if r["label"] == "超额完成")
    others = len(rows) - len(judged)
    tail = f"，另有{others}项无数据、待核或缺少基数" if others else ""
    return (
        f"纳入调度的{len(rows)}项量化指标中，完成年度目标{met}项（其中超额完成{over}项），"
        f"未完成{len(judged) - met}项{tail}。"
    )


def unit_submission_sentence(subs: list[dict]) -> str:
    if not subs or subs[0]["state"] == "未报送":
        return "本季度未收到本单位的报送文件，上表指标均按无数据统计。"
    s = subs[0]
    if s["state"] == "整份退回":
        return "本单位报送的文件未通过校验，未能采用，请按附表所列原因修改后重新报送。"
    late = "，首次报送晚于截止时间" if s["late"] else ""
    return (
        f"本单位共报送{s['receipts']}次，采用{s['received_text']}收到的文件{late}；"
        f"采用数据{s['rows_accepted']}行，退回待核{s['rows_quarantined']}行。"
    )
