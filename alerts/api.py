"""The REST API of the alerting service (FastAPI; OpenAPI at /docs and /openapi.json)."""
from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from alerts.auth import COOKIE, Principal, Sessions, Users
from alerts.evidence.manifest import resolve_key, verify
from alerts.evidence.storage import LocalEvidenceStore
from alerts.store import AbsenceRecord, Alert, AlertStore, AuditEntry, region_path_key
from configs.model import HallwatchConfig

CONSOLE = Path(__file__).with_name("console")
STREAM_WINDOW = timedelta(seconds=3)


class AlertOut(BaseModel):
    event_id: str
    type: str
    reason: str | None
    hall_id: str
    hall_name: str
    window_id: str | None
    region_id: str
    region_path: list[str]
    level: str
    camera_id: str
    zone_id: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    event_status: str
    closed_reason: str | None
    lifecycle: str
    review_outcome: str | None
    escalated_to: str | None
    escalations: int
    received_at: datetime
    acknowledged_at: datetime | None
    people: int
    track_ids: list[int]
    min_distance_m: float | None
    evidence: dict


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    details: dict


class AlertDetail(AlertOut):
    audit: list[AuditOut]
    integrity: str  # ok | failed | none
    integrity_problems: list[str]
    zone_polygon: list[list[float]] | None


class Login(BaseModel):
    username: str
    password: str


class Ack(BaseModel):
    note: str | None = None


class Review(BaseModel):
    outcome: Literal["confirmed", "dismissed"]
    note: str = Field(min_length=1, description="Required: why.")


class Close(BaseModel):
    note: str | None = None


class AbsenceIn(BaseModel):
    hall_id: str
    window_id: str | None = None
    zone_id: str | None = None
    person: str | None = None
    start: datetime
    end: datetime
    reason: str = Field(min_length=1)


class AbsenceOut(AbsenceIn):
    id: str
    registered_by: str
    registered_at: datetime


def alert_out(cfg: HallwatchConfig, a: Alert) -> dict:
    hall = next((h for h in cfg.halls if h.id == a.hall_id), None)
    return dict(
        event_id=a.event_id, type=a.type, reason=a.reason, hall_id=a.hall_id, hall_name=hall.name if hall else a.hall_id,
        window_id=a.window_id, region_id=a.region_id, region_path=a.region_path.strip("/").split("/"), level=a.level,
        camera_id=a.camera_id, zone_id=a.zone_id, started_at=a.started_at, ended_at=a.ended_at,
        duration_s=a.duration_s, event_status=a.event_status, closed_reason=a.closed_reason, lifecycle=a.lifecycle,
        review_outcome=a.review_outcome, escalated_to=a.escalated_to, escalations=a.escalations,
        received_at=a.received_at, acknowledged_at=a.acknowledged_at, people=a.payload.get("people", 0),
        track_ids=a.payload.get("track_ids", []), min_distance_m=a.payload.get("min_distance_m"),
        evidence=a.payload.get("evidence") or {},
    )


def create_app(cfg: HallwatchConfig, store: AlertStore, metrics, service=None) -> FastAPI:
    app = FastAPI(title="hallwatch alerting service", version="1",
                  description="Alerts of the electronic supervision of service halls (电子监察告警服务).")
    users = Users(store, cfg)
    sessions = Sessions(cfg, users)
    evidence = LocalEvidenceStore(cfg.evidence.root)
    regions = {r.id for r in cfg.regions}
    hall_paths = {h.id: region_path_key(cfg.region_path(h.region)) for h in cfg.halls}
    camera_halls = {c.id: c.hall for c in cfg.cameras}
    app.state.users = users

    def who(action: str | None = None):
        def dependency(request: Request) -> Principal:
            return sessions.require(request, action)
        return Depends(dependency)

    def scoped_alert(event_id: str, principal: Principal) -> Alert:
        alert = store.get(event_id)
        if alert is None or not principal.sees(alert.region_path):
            raise HTTPException(404, "no such alert")  # outside the subtree: as if it did not exist
        return alert

    def region_prefix(region: str | None, principal: Principal) -> str:
        if region is None:
            return principal.region_prefix
        if region not in regions:
            raise HTTPException(404, f"unknown region {region!r}")
        prefix = region_path_key(cfg.region_path(region))
        if not prefix.startswith(principal.region_prefix):
            raise HTTPException(404, f"unknown region {region!r}")
        return prefix

    def audit(event_id: str | None, actor: str, action: str, details: dict) -> None:
        with store.session() as session:
            session.add(AuditEntry(event_id=event_id, actor=actor, action=action, details=details))

    # -- sessions -------------------------------------------------------------------------------
    @app.post("/api/login")
    def login(body: Login, response: Response):
        user = users.authenticate(body.username, body.password)
        if user is None:
            raise HTTPException(401, "wrong username or password")
        token, csrf = sessions.issue(user)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=sessions.secure,
                            max_age=sessions.max_age_s, path="/")
        audit(None, user.username, "login", {})
        return {"username": user.username, "role": user.role, "region_id": user.region_id, "csrf": csrf}

    @app.post("/api/logout")
    def logout(response: Response, principal: Principal = who()):
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    @app.get("/api/me")
    def me(principal: Principal = who()):
        names = {r.id: r.name for r in cfg.regions}
        return {"username": principal.username, "role": principal.role, "region_id": principal.region_id,
                "region_name": names[principal.region_id], "csrf": principal.csrf, "timezone": cfg.timezone,
                "display_name": principal.display_name}

    # -- alerts ---------------------------------------------------------------------------------
    @app.get("/api/alerts", response_model=list[AlertOut])
    def list_alerts(region: str | None = Query(None, description="Region id: its whole subtree"),
                    hall: str | None = None, type: str | None = None,
                    lifecycle: Literal["new", "acknowledged", "reviewed", "closed"] | None = None,
                    status: Literal["open", "closed"] | None = Query(None, description="The violation's own status"),
                    since: datetime | None = None, until: datetime | None = None,
                    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                    principal: Principal = who()):
        prefix = region_prefix(region, principal)
        alerts = store.list(prefix, hall, type, lifecycle, status, since, until, limit, offset)
        return [alert_out(cfg, a) for a in alerts]

    @app.get("/api/alerts/{event_id}", response_model=AlertDetail)
    def get_alert(event_id: str, principal: Principal = who()):
        alert = scoped_alert(event_id, principal)
        trail = [AuditOut(at=e.at, actor=e.actor, action=e.action, details=e.details) for e in store.audit(event_id)]
        integrity, problems = "none", []
        manifest = (alert.payload.get("evidence") or {}).get("manifest")
        if manifest:
            path = evidence.resolve(manifest)
            try:
                problems = verify(path.parent, resolve_key(cfg.evidence.hmac_key)) if path else ["manifest missing"]
            except ValueError as error:
                problems = [str(error)]
            integrity = "failed" if problems else "ok"
            audit(event_id, principal.username, "evidence_view", {"integrity": integrity})
        camera = next((c for c in cfg.cameras if c.id == alert.camera_id), None)
        zone = next((z for z in camera.zones if z.id == alert.zone_id), None) if camera else None
        return {**alert_out(cfg, alert), "audit": trail, "integrity": integrity, "integrity_problems": problems,
                "zone_polygon": zone.polygon if zone else None}

    @app.get("/api/alerts/{event_id}/evidence/{name}")
    def evidence_file(event_id: str, name: str, principal: Principal = who()):
        alert = scoped_alert(event_id, principal)
        refs = alert.payload.get("evidence") or {}
        relative = refs.get(name)
        path = evidence.resolve(relative) if isinstance(relative, str) else None
        if path is None:
            raise HTTPException(404, "no such evidence")
        audit(event_id, principal.username, "evidence_view", {"file": name})
        media = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".json": "application/json"}.get(path.suffix)
        return FileResponse(path, media_type=media)

    @app.get("/api/alerts/{event_id}/export")
    def export_case(event_id: str, principal: Principal = who("export")):
        alert = scoped_alert(event_id, principal)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            refs = alert.payload.get("evidence") or {}
            files = {p for p in (evidence.resolve(v) for v in refs.values() if isinstance(v, str)) if p is not None}
            manifest = evidence.resolve(refs["manifest"]) if refs.get("manifest") else None
            if manifest is not None:  # the whole signed case folder
                files |= {f for f in manifest.parent.iterdir() if f.is_file()}
            for file in sorted(files):
                archive.write(file, f"evidence/{file.name}")
            archive.writestr("event.json", json.dumps(alert.payload, ensure_ascii=False, indent=2))
            trail = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details}
                     for e in store.audit(event_id)]
            archive.writestr("audit.json", json.dumps(trail, ensure_ascii=False, indent=2))
        audit(event_id, principal.username, "export", {"bytes": buffer.tell()})
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="case-{event_id}.zip"'})

    def _transition(event_id: str, principal: Principal, action: str, note: str | None, outcome: str | None = None):
        scoped_alert(event_id, principal)
        try:
            return store.transition(event_id, principal.username, action, note, outcome)
        except PermissionError as error:
            raise HTTPException(409, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None

    @app.post("/api/alerts/{event_id}/ack", response_model=AlertOut)
    def acknowledge(event_id: str, body: Ack, principal: Principal = who("acknowledge")):
        alert = _transition(event_id, principal, "acknowledge", body.note)
        metrics.ack_seconds.observe((alert.acknowledged_at - alert.received_at).total_seconds())
        return alert_out(cfg, alert)

    @app.post("/api/alerts/{event_id}/review", response_model=AlertOut)
    def review(event_id: str, body: Review, principal: Principal = who("review")):
        return alert_out(cfg, _transition(event_id, principal, "review", body.note, body.outcome))

    @app.post("/api/alerts/{event_id}/close", response_model=AlertOut)
    def close(event_id: str, body: Close, principal: Principal = who("close")):
        return alert_out(cfg, _transition(event_id, principal, "close", body.note))

    @app.get("/api/stream")
    async def stream(request: Request, principal: Principal = who()):
        """Server-sent events: each alert stored or changed in the user's subtree, within ~0.5 s."""
        async def events():
            # Re-read a short window each time and skip what was already sent: rows committed late
            # (other instances, batches sharing one timestamp) are still delivered, never twice.
            since = datetime.now(timezone.utc)
            sent: dict[str, datetime] = {}
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                started = datetime.now(timezone.utc)
                changed = await asyncio.to_thread(store.changed_since, since - STREAM_WINDOW, principal.region_prefix)
                for alert in changed:
                    if sent.get(alert.event_id) == alert.updated_at:
                        continue
                    sent[alert.event_id] = alert.updated_at
                    yield f"event: alert\ndata: {json.dumps(alert_out(cfg, alert), default=str, ensure_ascii=False)}\n\n"
                since = started
                horizon = started - 2 * STREAM_WINDOW
                sent = {k: v for k, v in sent.items() if v >= horizon}
                await asyncio.sleep(0.1)
        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- absences -------------------------------------------------------------------------------
    @app.get("/api/absences", response_model=list[AbsenceOut])
    def list_absences(hall: str | None = None, principal: Principal = who()):
        visible = [h for h, path in hall_paths.items() if principal.sees(path)]
        if hall is not None:
            visible = [h for h in visible if h == hall]
        return [AbsenceOut.model_validate(r, from_attributes=True) for r in store.absences(visible)]

    @app.post("/api/absences", response_model=AbsenceOut, status_code=201)
    def register_absence(body: AbsenceIn, principal: Principal = who("register_absence")):
        hall = next((h for h in cfg.halls if h.id == body.hall_id), None)
        if hall is None or not principal.sees(hall_paths[hall.id]):
            raise HTTPException(404, f"unknown hall {body.hall_id!r}")
        if body.window_id is None and body.zone_id is None:
            raise HTTPException(422, "an absence needs window_id or zone_id")
        if body.window_id is not None and body.window_id not in {w.id for w in hall.windows}:
            raise HTTPException(422, f"hall {hall.id!r} has no window {body.window_id!r}")
        if body.start.tzinfo is None or body.end.tzinfo is None or body.end <= body.start:
            raise HTTPException(422, "start and end need UTC offsets, and end must be after start")
        record = AbsenceRecord(id=uuid.uuid4().hex[:12], registered_by=principal.username, **body.model_dump())
        store.add_absence(record, principal.username)
        if service is not None:
            service.absence_registered(record)
        return AbsenceOut.model_validate(record, from_attributes=True)

    # -- cameras, coverage, registry ----------------------------------------------------------------
    @app.get("/api/registry")
    def registry(principal: Principal = who()):
        """The halls, windows and regions this user may see (for filters and forms)."""
        visible_regions = [r for r in cfg.regions
                           if region_path_key(cfg.region_path(r.id)).startswith(principal.region_prefix)]
        return {
            "regions": [{"id": r.id, "name": r.name, "level": r.level.value, "parent": r.parent} for r in visible_regions],
            "halls": [{"id": h.id, "name": h.name, "region": h.region,
                       "windows": [{"id": w.id, "name": w.name} for w in h.windows]}
                      for h in cfg.halls if principal.sees(hall_paths[h.id])],
        }

    @app.get("/api/cameras")
    def cameras(principal: Principal = who()):
        now = datetime.now(timezone.utc)
        seen = {c.camera_id: c for c in store.cameras()}
        out = []
        for camera in cfg.cameras:
            if camera.hall not in hall_paths or not principal.sees(hall_paths[camera.hall]):
                continue
            state = seen.get(camera.id)
            age = (now - state.received_at).total_seconds() if state else None
            fresh = age is not None and age <= cfg.alerts.stale_after_s
            out.append({"camera_id": camera.id, "name": camera.name, "hall_id": camera.hall,
                        "status": state.status if state and fresh else "offline",
                        "reported_status": state.status if state else None,
                        "last_heartbeat_age_s": round(age, 1) if age is not None else None,
                        "heartbeat": state.payload if state else None})
        return out

    @app.get("/api/coverage")
    def coverage(principal: Principal = who()):
        cov = metrics.collector.coverage()
        levels = {}

        def ratio(value: float) -> float | None:
            return None if value != value else round(value, 4)  # NaN: no hall at that level

        for (region, level), c in cov.by_region_level.items():
            if region == "*":
                if cfg.region(principal.region_id).parent is not None:
                    continue  # whole-registry totals only for users at the top of the tree
            elif not region_path_key(cfg.region_path(region)).startswith(principal.region_prefix):
                continue
            levels.setdefault("all" if region == "*" else region, {})[level] = {
                "halls": c.halls, "halls_covered": c.halls_covered, "ratio": ratio(c.ratio),
                "windows": c.windows, "windows_covered": c.windows_covered, "window_ratio": ratio(c.window_ratio)}
        uncovered = [h for h in cov.uncovered if principal.sees(hall_paths[h["hall_id"]])]
        camera_up = {c: up for c, up in cov.camera_up.items() if principal.sees(hall_paths[camera_halls[c]])}
        return {"by_region": levels, "uncovered": uncovered, "camera_up": camera_up}

    @app.get("/metrics")
    def prometheus_metrics():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "consumer_alive": service.consumer_alive() if service else None}

    # -- the console ------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index(request: Request):
        if sessions.principal(request) is None:
            return RedirectResponse("/login")
        return HTMLResponse((CONSOLE / "console.html").read_text(encoding="utf-8"))

    @app.get("/login", include_in_schema=False)
    def login_page():
        return HTMLResponse((CONSOLE / "login.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        path = (CONSOLE / name).resolve()
        if path.parent != CONSOLE.resolve() or not path.is_file():
            raise HTTPException(404)
        media = {".js": "text/javascript", ".css": "text/css"}.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media)

    return app
