"""The steward's pages: her unit's quarter, uploads and verdicts, submission, briefs.

No page takes a unit from the URL: her unit is her account's, and an upload of another
unit answers 404 as if it did not exist."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from plantrack.periods import Quarter, parse_quarter
from plantrack.portal.db import Upload
from plantrack.portal.overview import local
from plantrack.portal.quarters import Window
from plantrack.portal.status import receipt_status
from plantrack.portal.uploads import (
    UploadRefused,
    deliver_to_inbox,
    drain,
    inbox_name,
    new_upload_id,
    shown_name,
    suffix_of,
)
from plantrack.portal.verdict import Verdict, make_verdict
from plantrack.portal.web import CSRF_REFUSED, XLSX, Caller, _body, attachment, shown_time

log = logging.getLogger("plantrack.portal")


class StewardPages:
    """A steward's quarter: template, upload, verdict, fix-it workbook, submit, briefs."""

    async def steward_page(self, request: Request) -> Response:
        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        return await self.quarter_page(request, caller, window)

    async def quarter_page(
        self,
        request: Request,
        caller: Caller,
        window: Window,
        *,
        status: int = 200,
        error: str = "",
        hint: str = "",
    ) -> Response:
        account = caller.account
        uploads = self.db.uploads(window.quarter.code, account.unit)
        view = await run_in_threadpool(self.warehouse.quarter, window.quarter.code)
        rows = [self.upload_row(u, view, window) for u in uploads]
        return self.render(
            request,
            "steward.html",
            caller,
            status=status,
            window=window,
            unit=self.unit(account),
            windows=self.calendar.open_windows(self.now()),
            rows=rows,
            warehouse_note=view.note,
            deadline=shown_time(window.deadline),
            overdue=local(self.now(), self.zone) > window.deadline,
            briefs=self.briefs(account.unit),
            max_mb=self.max_upload_bytes // 2**20,
            error=error,
            hint=hint,
        )

    def upload_row(self, u: Upload, view, window: Window) -> dict:
        received = local(u.submitted_at, self.zone) if u.submitted_at else None
        return {
            "upload": u,
            "verdict_label": _verdict_label(u),
            "uploaded": shown_time(local(u.uploaded_at, self.zone)),
            "received": shown_time(received),
            "late": bool(received and received > window.deadline),
            "run_status": receipt_status(view, u.file_hash, u.unit) if received else "",
        }

    async def template_download(self, request: Request) -> Response:
        from plantrack.template import template_filename, write_template

        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        unit = self.unit(caller.account)
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = await run_in_threadpool(
                write_template, self.catalog, unit, window.quarter, Path(folder) / "template.xlsx"
            )
            data = path.read_bytes()
        name = template_filename(unit, window.quarter)
        self.db.audit(
            "template_download",
            caller.account,
            quarter=window.quarter.code,
            target=name,
            client=self.client(request),
        )
        return Response(
            data,
            media_type=XLSX,
            headers={
                "Content-Disposition": attachment(name, f"{window.quarter.code}_{unit.code}_template.xlsx")
            },
        )

    async def upload(self, request: Request) -> Response:
        caller = self.steward(request)
        window = self.window(request.path_params["quarter"])
        account, unit = caller.account, self.unit(caller.account)
        client = self.client(request)

        def before_file(fields: dict[str, str], file_name: str) -> None:
            if not self.signer.csrf_ok(caller.csrf_scope, fields.get("csrf_token")):
                raise UploadRefused(CSRF_REFUSED, 403)
            suffix_of(shown_name(file_name))

        from plantrack.portal.uploads import receive_form

        chunks = _body(request)
        try:
            form = await receive_form(
                request.headers, chunks, self.scratch, self.max_upload_bytes, before_file
            )
        except UploadRefused as exc:
            await drain(chunks)
            self.db.audit(
                "upload_refused", account, quarter=window.quarter.code, detail=exc.message, client=client
            )
            return await self.quarter_page(request, caller, window, status=exc.status, error=exc.message)
        if form.file_path is None or not form.size:
            form.discard()
            if form.file_path is None and not self.signer.csrf_ok(
                caller.csrf_scope, form.fields.get("csrf_token")
            ):
                raise HTTPException(403, CSRF_REFUSED)
            return await self.quarter_page(
                request,
                caller,
                window,
                status=400,
                error="没有收到文件（或文件为空），请先选择填报表再上传。",
            )
        original = shown_name(form.file_name)
        suffix = suffix_of(original)
        upload_id = new_upload_id()
        name = inbox_name(window.quarter, unit, upload_id, suffix)
        stored = self.uploads_dir / account.unit / f"{upload_id}{suffix}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        form.file_path.replace(stored)
        started = time.perf_counter()
        verdict = await run_in_threadpool(self.check, stored, window.quarter, name)
        seconds = time.perf_counter() - started
        if verdict.unreadable:
            stored.unlink(missing_ok=True)  # an unreadable file is refused, never kept
            refusal = verdict.issues[0]
            self.db.audit(
                "upload_refused",
                account,
                quarter=window.quarter.code,
                target=original,
                detail=refusal.message,
                client=client,
            )
            return await self.quarter_page(
                request, caller, window, status=422, error=f"“{original}”{refusal.message}", hint=refusal.hint
            )
        upload = Upload(
            upload_id,
            account.id,
            account.unit,
            window.quarter.code,
            original,
            name,
            stored,
            form.sha256,
            form.size,
            self.now(),
            verdict.errors,
            verdict.warnings,
            verdict.to_json(),
            seconds,
            None,
            None,
        )
        self.db.add_upload(upload)
        self.db.audit(
            "upload_checked",
            account,
            quarter=window.quarter.code,
            target=upload_id,
            detail=f"{original}：错误{verdict.errors}处，警告{verdict.warnings}处，校验用时{seconds:.2f}秒",
            client=client,
        )
        return RedirectResponse(f"/uploads/{upload_id}", 303)

    def check(self, path: Path, quarter: Quarter, display_name: str) -> Verdict:
        from plantrack.validate import check_file

        with self.checks:
            plan = self.plan(quarter)
            return make_verdict(
                check_file(
                    path, plan.catalog, quarter, plan.suites_dir, display_name=display_name, data_docs=False
                )
            )

    async def upload_page(self, request: Request) -> Response:
        caller = self.steward(request)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        verdict = Verdict.from_json(upload.verdict_json)
        window = self.calendar.window(upload.quarter, self.now())
        view = await run_in_threadpool(self.warehouse.quarter, upload.quarter)
        return self.render(
            request,
            "upload.html",
            caller,
            upload=upload,
            verdict=verdict,
            groups=verdict.groups(),
            uploaded=local(upload.uploaded_at, self.zone),
            unit=self.catalog.units[upload.unit],
            quarter=parse_quarter(upload.quarter),
            window=window,
            refusal=self.submit_refusal(upload, verdict, window),
            received=shown_time(local(upload.submitted_at, self.zone)) if upload.submitted_at else "",
            late=bool(
                window and upload.submitted_at and local(upload.submitted_at, self.zone) > window.deadline
            ),
            run_status=receipt_status(view, upload.file_hash, upload.unit) if upload.submitted_at else "",
        )

    def submit_refusal(self, upload: Upload, verdict: Verdict, window: Window | None) -> str:
        """Why this upload cannot be submitted (Chinese), or ""."""
        if upload.submitted_at is not None:
            return ""
        if window is None:
            return f"{parse_quarter(upload.quarter).label}已不在报送期内，不能再报送此文件。"
        if verdict.unit and verdict.unit != upload.unit:
            other = getattr(self.catalog.units.get(verdict.unit), "name", verdict.unit)
            return (
                f"这份文件是“{other}”的填报表，不能以{self.catalog.units[upload.unit].name}的名义报送。"
                "请下载本单位的模板填写。"
            )
        if verdict.quarter and verdict.quarter != upload.quarter:
            return (
                f"这份文件填报的是{parse_quarter(verdict.quarter).label}，"
                f"不是{window.quarter.label}，请使用本季度的模板。"
            )
        return ""

    async def fixit_download(self, request: Request) -> Response:
        from plantrack.fixit import write_fixit

        caller = self.steward(request)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        verdict = Verdict.from_json(upload.verdict_json)
        if not verdict.issues:
            raise HTTPException(404, "这份文件没有发现问题，无需问题标注工作簿。")
        unit = self.catalog.units[upload.unit]
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            path = await run_in_threadpool(
                write_fixit,
                upload.stored_path,
                verdict.issues,
                Path(folder) / "fixit.xlsx",
                upload.original_name,
            )
            data = path.read_bytes()
        name = f"{unit.name}_{parse_quarter(upload.quarter).label}填报表_问题标注.xlsx"
        self.db.audit(
            "fixit_download",
            caller.account,
            quarter=upload.quarter,
            target=upload.id,
            client=self.client(request),
        )
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": attachment(name, f"{upload.quarter}_{upload.unit}_fixit.xlsx")},
        )

    async def submit(self, request: Request) -> Response:
        caller = self.steward(request)
        await self.form(request, caller)
        upload = self.own_upload(caller, request.path_params["upload_id"])
        if upload.unit != caller.account.unit:
            raise HTTPException(403, "只能报送本单位的文件。")
        verdict = Verdict.from_json(upload.verdict_json)
        window = self.calendar.window(upload.quarter, self.now())
        refusal = self.submit_refusal(upload, verdict, window)
        if refusal:
            raise HTTPException(409 if window else 404, refusal)
        received_at = self.now()
        if not self.db.mark_submitted(upload.id, caller.account.id, received_at):
            return RedirectResponse(f"/uploads/{upload.id}", 303)  # submitted already (a double click)
        inbox = self.settings.quarter_inbox(upload.quarter)
        try:
            path = await run_in_threadpool(
                deliver_to_inbox, upload.stored_path, inbox, upload.inbox_name, received_at
            )
        except OSError:
            self.db.unmark_submitted(upload.id)
            log.exception("could not deliver %s to %s", upload.id, inbox)
            raise HTTPException(
                500, f"报送失败：文件未能写入收件箱，请稍后重试或联系{self.contact}。"
            ) from None
        late = local(received_at, self.zone) > window.deadline
        self.db.audit(
            "submit",
            caller.account,
            quarter=upload.quarter,
            target=upload.id,
            detail=f"{upload.original_name} → {path.name}；{'逾期' if late else '按时'}",
            client=self.client(request),
            at=received_at,
        )
        self.warehouse.forget()
        return RedirectResponse(f"/uploads/{upload.id}", 303)

    # -- briefs ------------------------------------------------------------------------------

    def briefs(self, unit: str) -> list[dict]:
        """The unit's published briefs (PDF in the outbox), newest quarter first."""
        outbox = self.settings.home / "outbox"
        found = []
        if outbox.is_dir():
            for folder in sorted(outbox.iterdir(), reverse=True):
                try:
                    quarter = parse_quarter(folder.name)
                except ValueError:
                    continue
                path = self.brief_path(quarter, unit)
                if path is not None:
                    found.append({"quarter": quarter, "name": path.name})
        return found

    def brief_path(self, quarter: Quarter, unit: str) -> Path | None:
        folder = self.settings.home / "outbox" / quarter.code
        if not folder.is_dir():
            return None
        prefix = f"{quarter.code}_{unit}_"
        matches = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() == ".pdf" and p.name.startswith(prefix)
        )
        return matches[-1] if matches else None

    async def brief_download(self, request: Request) -> Response:
        caller = self.steward(request)
        try:
            quarter = parse_quarter(request.path_params["quarter"])
        except ValueError:
            raise HTTPException(404, "未找到该简报。") from None
        path = self.brief_path(quarter, caller.account.unit)
        if path is None:
            raise HTTPException(404, f"本单位{quarter.label}的简报尚未发布。")
        self.db.audit(
            "brief_download",
            caller.account,
            quarter=quarter.code,
            target=path.name,
            client=self.client(request),
        )
        disposition = attachment(path.name, f"{quarter.code}_brief.pdf")
        return FileResponse(path, media_type="application/pdf", headers={"Content-Disposition": disposition})


def _verdict_label(upload: Upload) -> str:
    if upload.errors:
        return f"未通过：错误{upload.errors}处" + (f"，警告{upload.warnings}处" if upload.warnings else "")
    if upload.warnings:
        return f"通过（警告{upload.warnings}处）"
    return "通过"
