"""The bureau's pages: every unit's state for a quarter, and reminders sent now."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from plantrack.periods import Quarter, parse_quarter
from plantrack.portal.overview import STATE_LABEL, local, unit_states
from plantrack.portal.quarters import Window
from plantrack.portal.web import shown_time

log = logging.getLogger("plantrack.portal")


class AdminPages:
    """The bureau's view of every unit, and the reminder button."""

    def admin_window(self, request: Request) -> Window:
        code = request.query_params.get("quarter")
        if not code:
            return self.calendar.main(self.now())
        window = self.calendar.window(code, self.now())
        if window is not None:
            return window
        try:
            quarter = parse_quarter(code)
        except ValueError:
            raise HTTPException(404, "无法识别的报告期。") from None
        from plantrack.plans import PlanError

        try:
            self.plan(quarter)
        except PlanError as exc:
            raise HTTPException(404, str(exc)) from None
        return Window(quarter, None)

    async def admin_page(self, request: Request, notice: str = "", status: int = 200) -> Response:
        caller = self.admin(request)
        window = self.admin_window(request)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        states = await run_in_threadpool(
            unit_states,
            self.catalog,
            window,
            view,
            self.db.uploads(window.quarter.code),
            self.settings.quarter_inbox(window.quarter.code),
            self.inbox_hashes,
            self.now(),
            self.zone,
        )
        counts = {key: sum(1 for s in states if s.state == key) for key in STATE_LABEL}
        return self.render(
            request,
            "admin.html",
            caller,
            status=status,
            window=window,
            states=states,
            counts=counts,
            late=sum(s.late for s in states),
            windows=self.calendar.open_windows(self.now()),
            deadline=shown_time(window.deadline),
            warehouse_note=view.note,
            notice=notice,
        )

    async def admin_unit_page(self, request: Request) -> Response:
        caller = self.admin(request)
        code = request.path_params["unit"]
        if code not in self.catalog.units:
            raise HTTPException(404, "未知的填报单位。")
        window = self.admin_window(request)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        uploads = self.db.uploads(window.quarter.code, code)
        rows = [self.upload_row(u, view, window) for u in uploads]
        return self.render(
            request,
            "admin_unit.html",
            caller,
            window=window,
            unit=self.catalog.units[code],
            rows=rows,
            accounts=[a for a in self.db.accounts() if a.unit == code],
            audit=self.db.audit_entries(code, 100),
            local=lambda t: local(t, self.zone),
        )

    async def remind(self, request: Request) -> Response:
        caller = self.admin(request)
        await self.form(request, caller)
        window = self.admin_window(request)
        try:
            message = await run_in_threadpool(send_reminders, window.quarter)
        except Exception as exc:  # mail down, a broken catalog: say so on the page
            log.exception("reminder failed")
            message = f"发送提醒失败：{exc}"
        self.db.audit(
            "reminder",
            caller.account,
            quarter=window.quarter.code,
            detail=message,
            client=self.client(request),
        )
        return await self.admin_page(request, notice=message)


def send_reminders(quarter: Quarter) -> str:
    """The reminder flow's own code, for one quarter, run now (Chinese summary)."""
    from flows.reminder import reminder_run
    from plantrack.reminder import INVALID, MISSING, PENDING

    state = reminder_run.fn(quarter=quarter.code)
    result = state.data if hasattr(state, "data") else None
    if result is None:
        return f"提醒未生成：{getattr(state, 'message', state)}"
    sent = sum(1 for d in result.deliveries if d.ok)
    text = (
        f"已生成{quarter.label}报送提醒：未报送{result.count(MISSING)}个单位，"
        f"有错误{result.count(INVALID)}个单位，待处理{result.count(PENDING)}个。"
    )
    if result.deliveries or result.not_mailed:
        text += f"已发送邮件{sent}封"
        failed = len(result.deliveries) - sent
        text += f"，失败{failed}封。" if failed else "。"
        if result.not_mailed:
            text += "；".join(result.not_mailed) + "。"
    else:
        text += "未配置邮件服务器，提醒清单已写入文件。"
    return text + f"清单：{result.path}"
