"""Evidence files of an alert, the case export (ZIP) and the case sheet (督办单, PDF), each access
audited."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.api.models import alert_out
from alerts.evidence.case import case_zip, integrity
from alerts.evidence.case_sheet import CaseSheet, render
from alerts.evidence.renditions import browser_copy
from alerts.store.schema import Alert
from configs.labels import reason_label, type_label
from streams.evidence.manifest import case_code, resolve_key

router = APIRouter(tags=["evidence"], responses=COMMON_RESPONSES)
log = logging.getLogger(__name__)
MEDIA = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}


@router.get(
    "/api/alerts/{event_id}/evidence/{name}",
    responses={200: {"content": {m: {} for m in MEDIA.values()}}, 429: {"description": "Renditions busy: retry"}},
)
def evidence_file(
    event_id: str,
    name: str,
    rendition: Literal["h264"] | None = Query(
        None, description="h264: a clip the browser cannot play (H.265) as an H.264 rendition, made once"
    ),
    principal: Principal = who("view_hall"),
    ctx: ApiContext = Ctx,
):
    alert = ctx.scoped_alert(event_id, principal)
    relative = (alert.payload.get("evidence") or {}).get(name)
    path = ctx.evidence.resolve(relative) if isinstance(relative, str) else None
    if path is None:
        raise HTTPException(404, "no such evidence")
    if rendition is not None and path.suffix == ".mp4":
        with ctx.exports.take():
            path = browser_copy(ctx.evidence, path)
    ctx.store.record(event_id, principal.username, "evidence_view", {"file": name, "rendition": rendition})
    return FileResponse(path, media_type=MEDIA.get(path.suffix))


@router.get(
    "/api/alerts/{event_id}/export",
    responses={
        200: {"content": {"application/zip": {}}},
        429: {"description": "As many exports are being built (alerts.max_concurrent_exports): retry later"},
    },
)
def export_case(event_id: str, principal: Principal = who("export"), ctx: ApiContext = Ctx):
    """The case as a ZIP, built in a temporary file and streamed from it (deleted when sent)."""
    alert = ctx.scoped_alert(event_id, principal)
    trail = [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details}
        for e in ctx.store.audit(event_id)
    ]
    configured = ctx.cfg.evidence.hmac_key
    with ctx.exports.take():
        sheet, _ = _sheet(ctx, alert, principal)
        handle, name = tempfile.mkstemp(prefix=f"hallwatch-export-{event_id[:40]}-", suffix=".zip")
        os.close(handle)
        target = Path(name)
        try:
            key = resolve_key(configured) if configured else None
            size = case_zip(ctx.evidence, alert.payload, trail, target, sheet, key)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    ctx.store.record(event_id, principal.username, "export", {"bytes": size})
    return FileResponse(
        target,
        media_type="application/zip",
        filename=f"case-{event_id}.zip",
        background=BackgroundTask(target.unlink, missing_ok=True),
    )


@router.get("/api/alerts/{event_id}/case-sheet", responses={200: {"content": {"application/pdf": {}}}})
def case_sheet(event_id: str, principal: Principal = who("case_sheet"), ctx: ApiContext = Ctx):
    """督办单 as PDF, with the verification code of the alert's signed evidence (when intact). A hall
    manager gets the sheets of the cases dispatched to their hall."""
    alert = ctx.scoped_alert(event_id, principal)
    if principal.hall_id is not None and ctx.repos.cases.get(event_id) is None:
        raise HTTPException(404, "no case dispatched for this alert")
    body, code = _sheet(ctx, alert, principal)
    ctx.store.record(event_id, principal.username, "case_sheet", {"code": code})
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="case-sheet-{event_id}.pdf"'},
    )


def _sheet(ctx: ApiContext, alert: Alert, principal: Principal) -> tuple[bytes, str | None]:
    """The case sheet's PDF and its verification code (422 when it cannot be rendered)."""
    event_id = alert.event_id
    case = ctx.repos.cases.get(event_id)
    a = alert_out(ctx.cfg, ctx.roster(), alert, case)
    refs = alert.payload.get("evidence") or {}
    status, _ = integrity(ctx.evidence, alert.payload, ctx.cfg.evidence.hmac_key)
    manifest = ctx.evidence.resolve(refs["manifest"]) if refs.get("manifest") else None
    code = case_code(manifest.parent, resolve_key(ctx.cfg.evidence.hmac_key)) if manifest and status == "ok" else None
    snapshot = ctx.evidence.resolve(refs["snapshot"]) if isinstance(refs.get("snapshot"), str) else None
    names = ctx.display_names()
    trail = ctx.store.audit(event_id)
    sheet = CaseSheet(
        number=f"DB-{a['started_at'].strftime('%Y%m%d')}-{event_id[:8].upper()}",
        rows=_facts(ctx, a, alert.hall_id, status, names),
        opinion=_last(ctx, trail, "review", names),
        snapshot=snapshot.read_bytes() if snapshot else None,
        code=code,
        issued_by=names.get(principal.username, principal.username),
        issued_at=datetime.now(ZoneInfo(ctx.cfg.timezone)),
        decisions=_decisions(ctx, case, trail, names),
    )
    try:
        return render(sheet), code
    except Exception:
        log.exception("case sheet of %s could not be rendered", event_id)
        raise HTTPException(422, "督办单无法生成：请联系管理员查看服务日志") from None


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S") if t else "进行中"


def _facts(ctx: ApiContext, a: dict, hall_id: str, status: str, names: dict[str, str]) -> list[tuple[str, str]]:
    """责任单位, 责任人 and the facts, every one by its display name."""
    camera = ctx.cameras.get(a["camera_id"])
    managers = [names.get(u, u) for u in ctx.hall_managers(hall_id)]
    responsible = "、".join(a["on_duty"]) or ("、".join(managers) + "（大厅负责人）" if managers else "大厅负责人")
    return [
        ("责任单位", f"{a['hall_name']}（{' › '.join(a['region_names'])}）"),
        ("责任人", responsible),
        ("违规类型", f"{type_label(a['type'])} · {reason_label(a['reason'])}"),
        ("窗口", a["window_name"] or "—（大厅整体）"),
        ("摄像头", (camera.name or camera.id) if camera else a["camera_id"]),
        ("开始时间", _when(a["started_at"])),
        ("结束时间", _when(a["ended_at"])),
        ("持续时长", f"{a['duration_s']:.0f} 秒"),
        ("峰值人数", str(a["people"])),
        ("证据完整性", {"ok": "校验通过", "failed": "校验失败", "none": "无签名证据"}[status]),
        ("事件编号", a["event_id"]),
    ]


def _last(ctx: ApiContext, trail: list, action: str, names: dict[str, str]) -> str:
    steps = [e for e in trail if e.action == action]
    if not steps:
        return ""
    last = steps[-1]
    outcome = {"confirmed": "认定违规：", "dismissed": "不予认定："}.get(last.details.get("outcome"), "")
    note = last.details.get("note") or ""
    return f"{outcome}{note}（{names.get(last.actor, last.actor)}，{_local(ctx, last.at)}）"


def _decisions(ctx: ApiContext, case, trail: list, names: dict[str, str]) -> list[tuple[str, str]]:
    if case is None:
        return [("整改要求", "（尚未督办）")]
    due = _local(ctx, case.due_at)
    returns = [_last(ctx, trail[: i + 1], "return", names) for i, e in enumerate(trail) if e.action == "return"]
    rectified = "（尚未反馈）"
    if case.rectified_at is not None:
        late = "（逾期反馈）" if case.rectified_late else ""
        who_ = names.get(case.rectified_by or "", case.rectified_by or "")
        rectified = f"{case.rectification}（{who_}，{_local(ctx, case.rectified_at)}）{late}"
    closing = "（尚未办结）"
    if case.closed_at is not None:
        closing = f"{case.closing_note or '同意办结'}（{names.get(case.closed_by or '', case.closed_by or '')}，{_local(ctx, case.closed_at)}）"
    return [
        ("整改要求", f"{case.requirement}（{names.get(case.dispatched_by, case.dispatched_by)}督办）"),
        ("整改时限", due + (f"（已退回 {case.returns} 次，此为新时限）" if case.returns else "")),
        *[("退回意见", r) for r in returns],
        ("整改反馈", rectified),
        ("办结意见", closing),
    ]


def _local(ctx: ApiContext, t: datetime) -> str:
    return t.astimezone(ZoneInfo(ctx.cfg.timezone)).strftime("%Y-%m-%d %H:%M")
