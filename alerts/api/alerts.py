"""Alerts: list, detail, the lifecycle actions, and the live stream (server-sent events)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, unprocessable, who
from alerts.api.models import (
    Ack,
    AlertDetail,
    AlertOut,
    AuditOut,
    AwareTime,
    BulkAck,
    BulkAckOut,
    Close,
    Dispatch,
    Id,
    Rectify,
    Return,
    Review,
    alert_out,
)
from alerts.evidence.case import integrity
from alerts.evidence.renditions import clip_codecs
from alerts.lifecycle import STATES, RequestInvalid, TransitionRefused
from alerts.metrics import county_of
from alerts.store.schema import Alert

router = APIRouter(tags=["alerts"], responses=COMMON_RESPONSES)
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The alert is not in the state this action starts from"}
}
STREAM_WINDOW = timedelta(seconds=3)
CHECK_EVERY_S = 0.02  # how often a stream looks at the change counter (memory only)
OTHER_INSTANCES_S = 1.0  # how often it reads the database anyway, for other instances' commits
SESSION_RECHECK_S = 5.0  # how often an open stream checks that its session still lives
Lifecycles = Literal["new", "acknowledged", "reviewed", "dispatched", "rectified", "closed"]
assert get_args(Lifecycles) == STATES, "the query's states are the lifecycle's"
PERSON_SCAN = 5000  # ?person= looks at the newest this many matching alerts (on duty is the roster's, not stored)


@router.get("/api/alerts", response_model=list[AlertOut])
def list_alerts(
    response: Response,
    region: str | None = Query(None, description="Region id: its whole subtree"),
    hall: Id | None = None,
    type: Id | None = None,
    lifecycle: Lifecycles | None = None,
    status: Literal["open", "closed"] | None = Query(None, description="The violation's own status"),
    since: AwareTime | None = None,
    until: AwareTime | None = None,
    person: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Query(
        None, description="Only alerts whose on-duty person (排班) was this one (of the newest 5,000 matching)"
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
    principal: Principal = who("view_hall"),
    ctx: ApiContext = Ctx,
):
    """Newest first; ``X-Total-Count`` says how many match in all (the console pages with it)."""
    prefix = ctx.region_prefix(region, principal)
    filters = (prefix, ctx.hall_filter(hall, principal), type, lifecycle, status, since, until)
    if person is None:
        response.headers["X-Total-Count"] = str(ctx.store.count_matching(*filters))
        return outs(ctx, ctx.store.list(*filters, limit, offset))
    theirs = [out for out in outs(ctx, ctx.store.list(*filters, PERSON_SCAN, 0)) if person in out["on_duty"]]
    response.headers["X-Total-Count"] = str(len(theirs))
    return theirs[offset : offset + limit]


def outs(ctx: ApiContext, alerts: list[Alert]) -> list[dict]:
    """The alerts as ``AlertOut`` dicts, their cases read in one query."""
    roster, cases = ctx.roster(), ctx.repos.cases.for_alerts([a.event_id for a in alerts])
    return [alert_out(ctx.cfg, roster, a, cases.get(a.event_id)) for a in alerts]


def one_out(ctx: ApiContext, alert: Alert) -> dict:
    return outs(ctx, [alert])[0]


@router.get("/api/alerts/{event_id}", response_model=AlertDetail)
def get_alert(event_id: str, principal: Principal = who("view_hall"), ctx: ApiContext = Ctx):
    alert = ctx.scoped_alert(event_id, principal)
    names = ctx.display_names()
    trail = [
        AuditOut(at=e.at, actor=e.actor, actor_name=names.get(e.actor, e.actor), action=e.action, details=e.details)
        for e in ctx.store.audit(event_id)
    ]
    status, problems = integrity(ctx.evidence, alert.payload, ctx.cfg.evidence.hmac_key)
    if status != "none":
        ctx.store.record(event_id, principal.username, "evidence_view", {"integrity": status})
    camera = ctx.cameras.get(alert.camera_id)
    zone = next((z for z in camera.zones if z.id == alert.zone_id), None) if camera else None
    return {
        **one_out(ctx, alert),
        "audit": trail,
        "integrity": status,
        "integrity_problems": problems,
        "zone_polygon": zone.polygon if zone else None,
        "clip_codecs": clip_codecs(ctx.evidence, alert.payload.get("evidence") or {}),
    }


def _transition(
    ctx: ApiContext,
    event_id: str,
    principal: Principal,
    action: str,
    note: str | None,
    outcome: str | None = None,
    requirement: str | None = None,
    due_at: datetime | None = None,
) -> Alert:
    ctx.scoped_alert(event_id, principal)
    try:
        alert = ctx.lifecycle.transition(
            event_id, principal.username, action, note, outcome, requirement=requirement, due_at=due_at
        )
        ctx.changes.bump([event_id])
        return alert
    except TransitionRefused as error:
        raise HTTPException(409, str(error)) from None
    except RequestInvalid as error:
        raise unprocessable(["body", error.field], str(error), error.kind) from None


@router.post("/api/alerts/ack", response_model=BulkAckOut)
def acknowledge_many(body: BulkAck, principal: Principal = who("acknowledge"), ctx: ApiContext = Ctx):
    """Bulk acknowledgement (a burst of alerts from one incident): each alert is acknowledged on
    its own, with the same note, and audited as if acknowledged one by one."""
    done, refused = [], {}
    for event_id in dict.fromkeys(body.event_ids):
        try:
            alert = _transition(ctx, event_id, principal, "acknowledge", body.note)
        except HTTPException as error:
            refused[event_id] = str(error.detail)
            continue
        _observe_ack(ctx, alert)
        done.append(event_id)
    return BulkAckOut(acknowledged=done, refused=refused)


@router.post("/api/alerts/{event_id}/ack", response_model=AlertOut, responses=CONFLICT)
def acknowledge(event_id: str, body: Ack, principal: Principal = who("acknowledge"), ctx: ApiContext = Ctx):
    alert = _transition(ctx, event_id, principal, "acknowledge", body.note)
    _observe_ack(ctx, alert)
    return one_out(ctx, alert)


def _observe_ack(ctx: ApiContext, alert: Alert) -> None:
    if alert.acknowledged_at is not None:
        ctx.metrics.ack_seconds.observe((alert.acknowledged_at - alert.received_at).total_seconds())


@router.post("/api/alerts/{event_id}/review", response_model=AlertOut, responses=CONFLICT)
def review(event_id: str, body: Review, principal: Principal = who("review"), ctx: ApiContext = Ctx):
    alert = _transition(ctx, event_id, principal, "review", body.note, body.outcome)
    ctx.metrics.reviews.labels(alert.type, body.outcome).inc()  # the false-alarm rate: dismissed / reviewed
    if body.outcome == "dismissed":
        county = county_of(ctx.cfg, alert.region_id)
        labels = (
            alert.type,
            alert.reason or "",
            alert.level,
            alert.region_id,
            county,
            alert.hall_id,
            alert.window_id or "",
        )
        ctx.metrics.dismissed.labels(*labels).inc()
    return one_out(ctx, alert)


@router.post("/api/alerts/{event_id}/dispatch", response_model=AlertOut, responses=CONFLICT)
def dispatch(event_id: str, body: Dispatch, principal: Principal = who("dispatch"), ctx: ApiContext = Ctx):
    """督办: a confirmed violation goes to its hall with the requirement and the deadline."""
    alert = _transition(ctx, event_id, principal, "dispatch", None, requirement=body.requirement, due_at=body.due_at)
    return one_out(ctx, alert)


@router.post("/api/alerts/{event_id}/rectify", response_model=AlertOut, responses=CONFLICT)
def rectify(event_id: str, body: Rectify, principal: Principal = who("rectify"), ctx: ApiContext = Ctx):
    """整改反馈: the hall's manager says what was done (late when past the deadline)."""
    return one_out(ctx, _transition(ctx, event_id, principal, "rectify", body.note))


@router.post("/api/alerts/{event_id}/return", response_model=AlertOut, responses=CONFLICT)
def return_case(event_id: str, body: Return, principal: Principal = who("return"), ctx: ApiContext = Ctx):
    """退回: the reply is not enough; the case goes back to the hall with a new deadline."""
    return one_out(ctx, _transition(ctx, event_id, principal, "return", body.note, due_at=body.due_at))


@router.post("/api/alerts/{event_id}/close", response_model=AlertOut, responses=CONFLICT)
def close(event_id: str, body: Close, principal: Principal = who("close"), ctx: ApiContext = Ctx):
    """办结: a rectified case, or a dismissed alert (which closes without a case)."""
    return one_out(ctx, _transition(ctx, event_id, principal, "close", body.note))


@router.get("/api/stream", responses={200: {"content": {"text/event-stream": {}}}})
async def stream(request: Request, principal: Principal = who("view_hall"), ctx: ApiContext = Ctx):
    """Server-sent events: each alert stored or changed in the user's subtree, as soon as this
    instance committed it (other instances' changes within a second)."""

    async def events():
        # A window re-read skips what was already sent: rows committed late (other instances,
        # batches sharing one timestamp) are still delivered, never twice.
        since = datetime.now(UTC)
        sent: dict[str, datetime] = {}
        seen_version, read_at = -1, 0.0
        yield "retry: 2000\n\n"
        checked = time.monotonic()
        while not await request.is_disconnected():
            now = time.monotonic()
            if now - checked >= SESSION_RECHECK_S:  # a disabled user or an ended session: the stream ends
                checked = now
                if await asyncio.to_thread(ctx.sessions.by_id, principal.session_id) is None:
                    yield "event: logout\ndata: {}\n\n"
                    return
            if ctx.changes.version == seen_version and now - read_at < OTHER_INSTANCES_S:
                await asyncio.sleep(CHECK_EVERY_S)  # an in-memory check: nothing new was committed here
                continue
            version, ids = ctx.changes.since(seen_version)
            if ids is not None and now - read_at < OTHER_INSTANCES_S:  # this instance's commits: by id
                changed = await asyncio.to_thread(ctx.store.changed_alerts, ids, principal.region_prefix)
            else:
                read_at = now
                started = datetime.now(UTC)
                changed = await asyncio.to_thread(
                    ctx.store.changed_since, since - STREAM_WINDOW, principal.region_prefix
                )
                since = started
                horizon = started - 2 * STREAM_WINDOW
                sent = {k: v for k, v in sent.items() if v >= horizon}
            seen_version = version
            fresh = [
                a for a in changed if sent.get(a.event_id) != a.updated_at and principal.hall_id in (None, a.hall_id)
            ]
            for alert, out in zip(fresh, await asyncio.to_thread(outs, ctx, fresh), strict=True):
                sent[alert.event_id] = alert.updated_at
                # The same model and serialisation as the list: one timestamp format everywhere.
                yield f"event: alert\ndata: {AlertOut(**out).model_dump_json()}\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
