"""Evidence files of an alert, the case export (ZIP) and the case sheet (督办单, PDF), each access
audited."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.api.models import alert_out
from alerts.evidence.case import case_zip, integrity
from alerts.evidence.case_sheet import CaseSheet, render
from configs.labels import reason_label, type_label
from streams.evidence.manifest import case_code, resolve_key

router = APIRouter(tags=["evidence"], responses=COMMON_RESPONSES)
log = logging.getLogger(__name__)
MEDIA = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}


@router.get("/api/alerts/{event_id}/evidence/{name}", responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def evidence_file(event_id: str, name: str, principal: Principal = who(), ctx: ApiContext = Ctx):
    alert = ctx.scoped_alert(event_id, principal)
    relative = (alert.payload.get("evidence") or {}).get(name)
    path = ctx.evidence.resolve(relative) if isinstance(relative, str) else None
    if path is None:
        raise HTTPException(404, "no such evidence")
    ctx.store.record(event_id, principal.username, "evidence_view", {"file": name})
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
    with ctx.exports.take():
        handle, name = tempfile.mkstemp(prefix=f"hallwatch-export-{event_id[:40]}-", suffix=".zip")
        os.close(handle)
        target = Path(name)
        try:
            size = case_zip(ctx.evidence, alert.payload, trail, target)
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
def case_sheet(event_id: str, principal: Principal = who("export"), ctx: ApiContext = Ctx):
    """督办单 as PDF, with the verification code of the alert's signed evidence (when intact)."""
    alert = ctx.scoped_alert(event_id, principal)
    a = alert_out(ctx.cfg, ctx.roster(), alert)
    refs = alert.payload.get("evidence") or {}
    status, _ = integrity(ctx.evidence, alert.payload, ctx.cfg.evidence.hmac_key)
    manifest = ctx.evidence.resolve(refs["manifest"]) if refs.get("manifest") else None
    code = case_code(manifest.parent, resolve_key(ctx.cfg.evidence.hmac_key)) if manifest and status == "ok" else None
    snapshot = ctx.evidence.resolve(refs["snapshot"]) if isinstance(refs.get("snapshot"), str) else None
    reviews = [e for e in ctx.store.audit(event_id) if e.action == "review"]
    opinion = ""
    if reviews:
        last = reviews[-1]
        outcome = {"confirmed": "认定违规", "dismissed": "不予认定"}.get(last.details.get("outcome"), "")
        opinion = f"{outcome}：{last.details.get('note') or ''}（{last.actor}，{_local(ctx, last.at)}）"
    fmt = lambda t: t.strftime("%Y-%m-%d %H:%M:%S") if t else "进行中"  # noqa: E731
    rows = [
        ("违规类型", f"{type_label(a['type'])} · {reason_label(a['reason'])}"),
        ("大厅", a["hall_name"]),
        ("所属区域", " › ".join(a["region_names"])),
        ("窗口", a["window_name"] or "—"),
        ("值班人员", "、".join(a["on_duty"]) or "—"),
        ("摄像头", a["camera_id"]),
        ("开始时间", fmt(a["started_at"])),
        ("结束时间", fmt(a["ended_at"])),
        ("持续时长", f"{a['duration_s']:.0f} 秒"),
        ("峰值人数", str(a["people"])),
        ("证据完整性", {"ok": "校验通过", "failed": "校验失败", "none": "无签名证据"}[status]),
        ("事件编号", event_id),
    ]
    sheet = CaseSheet(
        number=f"DB-{a['started_at'].strftime('%Y%m%d')}-{event_id[:8].upper()}",
        rows=rows,
        opinion=opinion,
        snapshot=snapshot.read_bytes() if snapshot else None,
        code=code,
        issued_by=principal.display_name or principal.username,
        issued_at=datetime.now(ZoneInfo(ctx.cfg.timezone)),
    )
    try:
        body = render(sheet)
    except Exception:
        log.exception("case sheet of %s could not be rendered", event_id)
        raise HTTPException(422, "督办单无法生成：请联系管理员查看服务日志") from None
    ctx.store.record(event_id, principal.username, "case_sheet", {"code": code})
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="case-sheet-{event_id}.pdf"'},
    )


def _local(ctx: ApiContext, t: datetime) -> str:
    return t.astimezone(ZoneInfo(ctx.cfg.timezone)).strftime("%Y-%m-%d %H:%M")
