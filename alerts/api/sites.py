"""The registry (regions, halls, windows), camera health, coverage, and the display labels."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.coverage import coverage_view
from alerts.store.schema import region_path_key
from configs import labels

router = APIRouter(tags=["sites"], responses=COMMON_RESPONSES)


@router.get("/api/registry")
def registry(principal: Principal = who("view_hall"), ctx: ApiContext = Ctx):
    """The halls, windows and regions this user may see (for filters and forms)."""
    cfg = ctx.cfg
    visible_regions = [
        r for r in cfg.regions if region_path_key(cfg.region_path(r.id)).startswith(principal.region_prefix)
    ]
    return {
        "regions": [{"id": r.id, "name": r.name, "level": r.level.value, "parent": r.parent} for r in visible_regions],
        "halls": [
            {
                "id": h.id,
                "name": h.name,
                "region": h.region,
                "windows": [{"id": w.id, "name": w.name} for w in h.windows],
            }
            for h in cfg.halls
            if ctx.sees_hall(principal, h.id)
        ],
    }


@router.get("/api/labels")
def display_labels(principal: Principal = who("view_hall")):
    """Chinese names of violation types, reasons, zone kinds and levels (one list for the console)."""
    return {
        "types": labels.VIOLATION_TYPES,
        "reasons": labels.REASONS,
        "zone_kinds": labels.ZONE_KINDS,
        "levels": labels.LEVELS,
    }


@router.get("/api/cameras")
def cameras(principal: Principal = who(), ctx: ApiContext = Ctx):
    now = datetime.now(UTC)
    seen = {c.camera_id: c for c in ctx.repos.cameras.cameras()}
    # A picture older than three refreshes (at least 30 s) is stale: the wall says how old it is.
    stale_picture_s = max(30.0, 3 * ctx.cfg.evidence.live_snapshot_s)
    out = []
    for camera in ctx.cfg.cameras:
        if not ctx.sees_hall(principal, camera.hall):
            continue
        state = seen.get(camera.id)
        age = (now - state.received_at).total_seconds() if state else None
        picture = ctx.evidence.live_snapshot(camera.id)
        picture_age = now.timestamp() - picture.stat().st_mtime if picture.is_file() else None
        fresh = age is not None and age <= ctx.cfg.alerts.stale_after_s
        out.append(
            {
                "camera_id": camera.id,
                "name": camera.name,
                "hall_id": camera.hall,
                "status": state.status if state and fresh else "offline",
                "reported_status": state.status if state else None,
                "last_heartbeat_age_s": round(age, 1) if age is not None else None,
                "heartbeat": state.payload if state else None,
                "frame_size": list(camera.frame_size) if camera.frame_size else None,
                "snapshot_age_s": None if picture_age is None else round(max(picture_age, 0.0), 1),
                "snapshot_stale": picture_age is None or picture_age > stale_picture_s,
                "zones": [
                    {"id": z.id, "name": z.name, "kind": z.kind.value, "window": z.window, "polygon": z.polygon}
                    for z in camera.zones
                ],
            }
        )
    return out


@router.get("/api/cameras/{camera_id}/snapshot", responses={200: {"content": {"image/jpeg": {}}}})
def camera_snapshot(camera_id: str, principal: Principal = who(), ctx: ApiContext = Ctx):
    """The camera's latest frame (the camera wall), refreshed by the pipeline every
    ``evidence.live_snapshot_s``."""
    camera = ctx.cameras.get(camera_id)
    if camera is None or not ctx.sees_hall(principal, camera.hall):
        raise HTTPException(404, "no such camera")
    path = ctx.evidence.live_snapshot(camera_id)
    if not path.is_file():
        raise HTTPException(404, "no snapshot yet")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/api/coverage")
def coverage(principal: Principal = who(), ctx: ApiContext = Ctx):
    cov = ctx.metrics.collector.coverage()
    return coverage_view(
        ctx.cfg, cov, principal.region_id, principal.region_prefix, lambda hall_id: ctx.sees_hall(principal, hall_id)
    )
