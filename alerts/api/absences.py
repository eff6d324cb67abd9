"""Registered absences (去向公开): list and register."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, unprocessable, who
from alerts.api.models import AbsenceIn, AbsenceOut, Id
from alerts.store.schema import AbsenceRecord, utcnow

router = APIRouter(tags=["absences"], responses=COMMON_RESPONSES)


@router.get("/api/absences", response_model=list[AbsenceOut])
def list_absences(hall: Id | None = None, principal: Principal = who(), ctx: ApiContext = Ctx):
    visible = [h for h in ctx.hall_paths if ctx.sees_hall(principal, h) and hall in (None, h)]
    return [AbsenceOut.model_validate(r, from_attributes=True) for r in ctx.repos.absences.list(visible)]


@router.post(
    "/api/absences",
    response_model=AbsenceOut,
    status_code=201,
    responses={503: {"description": "Kafka unreachable: nothing was registered, try again"}},
)
def register_absence(body: AbsenceIn, principal: Principal = who("register_absence"), ctx: ApiContext = Ctx):
    hall = ctx.halls.get(body.hall_id)
    if hall is None or not ctx.sees_hall(principal, hall.id):
        raise HTTPException(404, f"unknown hall {body.hall_id!r}")
    if body.window_id is None and body.zone_id is None:
        raise unprocessable(["body", "window_id"], "an absence needs window_id or zone_id", "window_or_zone_needed")
    if body.window_id is not None and body.window_id not in {w.id for w in hall.windows}:
        raise unprocessable(
            ["body", "window_id"], f"hall {hall.id!r} has no window {body.window_id!r}", "unknown_window"
        )
    if body.start.tzinfo is None or body.end.tzinfo is None or body.end <= body.start:
        raise unprocessable(
            ["body", "end"], "start and end need UTC offsets, and end must be after start", "end_not_after_start"
        )
    record = AbsenceRecord(
        id=uuid.uuid4().hex[:12], registered_by=principal.username, registered_at=utcnow(), **body.model_dump()
    )
    try:  # to the pipelines first: an absence they never see is not registered
        ctx.service.absence_registered(record)
    except Exception as error:  # noqa: BLE001 - Kafka unreachable
        raise HTTPException(503, f"the absence could not reach the pipelines (Kafka): {error}") from None
    ctx.repos.absences.add(record, principal.username)
    return AbsenceOut.model_validate(record, from_attributes=True)
