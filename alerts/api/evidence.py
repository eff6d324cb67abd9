"""Evidence files of an alert and the case export (ZIP), each access audited."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse

from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.auth import Principal
from alerts.evidence.case import case_zip

router = APIRouter(tags=["evidence"], responses=COMMON_RESPONSES)
MEDIA = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}


@router.get("/api/alerts/{event_id}/evidence/{name}",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def evidence_file(event_id: str, name: str, principal: Principal = who(), ctx: ApiContext = Ctx):
    alert = ctx.scoped_alert(event_id, principal)
    relative = (alert.payload.get("evidence") or {}).get(name)
    path = ctx.evidence.resolve(relative) if isinstance(relative, str) else None
    if path is None:
        raise HTTPException(404, "no such evidence")
    ctx.store.record(event_id, principal.username, "evidence_view", {"file": name})
    return FileResponse(path, media_type=MEDIA.get(path.suffix))


@router.get("/api/alerts/{event_id}/export", responses={200: {"content": {"application/zip": {}}}})
def export_case(event_id: str, principal: Principal = who("export"), ctx: ApiContext = Ctx):
    alert = ctx.scoped_alert(event_id, principal)
    trail = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details}
             for e in ctx.store.audit(event_id)]
    body = case_zip(ctx.evidence, alert.payload, trail)
    ctx.store.record(event_id, principal.username, "export", {"bytes": len(body)})
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="case-{event_id}.zip"'})
