"""The REST API of the alerting service (FastAPI; OpenAPI at /docs and /openapi.json)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Literal

from fastapi import FastAPI, HTTPException, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from alerts.store import AbsenceRecord, Alert, AlertStore, region_path_key
from configs.model import HallwatchConfig


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


class Ack(BaseModel):
    by: str = Field(min_length=1, description="Who acknowledges.")
    note: str | None = None


class Review(BaseModel):
    by: str = Field(min_length=1)
    outcome: Literal["confirmed", "dismissed"]
    note: str = Field(min_length=1, description="Required: why.")


class Close(BaseModel):
    by: str = Field(min_length=1)
    note: str | None = None


class AbsenceIn(BaseModel):
    hall_id: str
    window_id: str | None = None
    zone_id: str | None = None
    person: str | None = None
    start: datetime
    end: datetime
    reason: str = Field(min_length=1)
    registered_by: str = Field(min_length=1)


class AbsenceOut(AbsenceIn):
    id: str
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

    def region_prefix(region: str | None) -> str | None:
        if region is None:
            return None
        if region not in {r.id for r in cfg.regions}:
            raise HTTPException(404, f"unknown region {region!r}")
        return region_path_key(cfg.region_path(region))

    @app.get("/api/alerts", response_model=list[AlertOut])
    def list_alerts(region: str | None = Query(None, description="Region id: its whole subtree"),
                    hall: str | None = None, type: str | None = None,
                    lifecycle: Literal["new", "acknowledged", "reviewed", "closed"] | None = None,
                    status: Literal["open", "closed"] | None = Query(None, description="The violation's own status"),
                    since: datetime | None = None, until: datetime | None = None,
                    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)):
        alerts = store.list(region_prefix(region), hall, type, lifecycle, status, since, until, limit, offset)
        return [alert_out(cfg, a) for a in alerts]

    @app.get("/api/alerts/{event_id}", response_model=AlertDetail)
    def get_alert(event_id: str):
        alert = store.get(event_id)
        if alert is None:
            raise HTTPException(404, "no such alert")
        audit = [AuditOut(at=e.at, actor=e.actor, action=e.action, details=e.details) for e in store.audit(event_id)]
        return {**alert_out(cfg, alert), "audit": audit}

    def _transition(event_id: str, actor: str, action: str, note: str | None, outcome: str | None = None):
        try:
            alert = store.transition(event_id, actor, action, note, outcome)
        except KeyError:
            raise HTTPException(404, "no such alert") from None
        except PermissionError as error:
            raise HTTPException(409, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        return alert

    @app.post("/api/alerts/{event_id}/ack", response_model=AlertOut)
    def acknowledge(event_id: str, body: Ack):
        alert = _transition(event_id, body.by, "acknowledge", body.note)
        metrics.ack_seconds.observe((alert.acknowledged_at - alert.received_at).total_seconds())
        return alert_out(cfg, alert)

    @app.post("/api/alerts/{event_id}/review", response_model=AlertOut)
    def review(event_id: str, body: Review):
        return alert_out(cfg, _transition(event_id, body.by, "review", body.note, body.outcome))

    @app.post("/api/alerts/{event_id}/close", response_model=AlertOut)
    def close(event_id: str, body: Close):
        return alert_out(cfg, _transition(event_id, body.by, "close", body.note))

    @app.get("/api/absences", response_model=list[AbsenceOut])
    def list_absences(hall: str | None = None):
        return [AbsenceOut.model_validate(r, from_attributes=True) for r in store.absences([hall] if hall else None)]

    @app.post("/api/absences", response_model=AbsenceOut, status_code=201)
    def register_absence(body: AbsenceIn):
        hall = next((h for h in cfg.halls if h.id == body.hall_id), None)
        if hall is None:
            raise HTTPException(404, f"unknown hall {body.hall_id!r}")
        if body.window_id is None and body.zone_id is None:
            raise HTTPException(422, "an absence needs window_id or zone_id")
        if body.window_id is not None and body.window_id not in {w.id for w in hall.windows}:
            raise HTTPException(422, f"hall {hall.id!r} has no window {body.window_id!r}")
        if body.start.tzinfo is None or body.end.tzinfo is None or body.end <= body.start:
            raise HTTPException(422, "start and end need UTC offsets, and end must be after start")
        record = AbsenceRecord(id=uuid.uuid4().hex[:12], **body.model_dump())
        store.add_absence(record, body.registered_by)
        if service is not None:
            service.absence_registered(record)
        return AbsenceOut.model_validate(record, from_attributes=True)

    @app.get("/api/cameras")
    def cameras():
        now = datetime.now(timezone.utc)
        seen = {c.camera_id: c for c in store.cameras()}
        out = []
        for camera in cfg.cameras:
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
    def coverage():
        cov = metrics.collector.coverage()
        levels = {}

        def ratio(value: float) -> float | None:
            return None if value != value else round(value, 4)  # NaN: no hall at that level

        for (region, level), c in cov.by_region_level.items():
            levels.setdefault("all" if region == "*" else region, {})[level] = {
                "halls": c.halls, "halls_covered": c.halls_covered, "ratio": ratio(c.ratio),
                "windows": c.windows, "windows_covered": c.windows_covered, "window_ratio": ratio(c.window_ratio)}
        return {"by_region": levels, "uncovered": cov.uncovered, "camera_up": cov.camera_up}

    @app.get("/metrics")
    def prometheus_metrics():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "consumer_alive": service.consumer_alive() if service else None}

    return app
