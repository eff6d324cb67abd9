"""叫号评价 — a day of the halls' queue tickets and ratings, per window (calls, 办件量, the tickets'
and the cameras' waits, ratings) and the day's 差评, each with its alert (and so its clip)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, DATES_MSG, ApiContext, Ctx, plausible, unprocessable, who
from alerts.api.models import Id
from alerts.attendance.tickets import figures, with_camera_waits
from alerts.evidence.renditions import clip_codecs
from alerts.service_events import rating_alert_id
from domain.service_events import POOR_SCORES

router = APIRouter(tags=["tickets"], responses=COMMON_RESPONSES)


class WindowDay(BaseModel):
    hall_id: str
    hall_name: str
    window_id: str
    window_name: str
    tickets_called: int
    tickets_finished: int
    ticket_waits: int
    ticket_wait_min: float | None
    ticket_wait_p90_min: float | None
    camera_waits: int
    camera_wait_min: float | None
    ratings: int
    mean_score: float | None
    poor_ratings: int


class PoorRating(BaseModel):
    id: str
    at: datetime
    hall_id: str
    hall_name: str
    window_id: str | None
    window_name: str | None
    ticket: str | None
    score: int
    comment: str | None
    person: str | None
    on_duty: list[str]
    alert_id: str | None  # the 差评 alert (its clip), where a camera watches the window
    has_clip: bool
    clip_codec: str | None = None  # h264 | hevc: the console asks for a rendition where it cannot play it


class TicketDay(BaseModel):
    day: date
    windows: list[WindowDay]
    poor: list[PoorRating]


@router.get("/api/tickets", response_model=TicketDay)
def ticket_day(
    day: date = Query(description="The halls' local day"),
    hall: Id | None = None,
    principal: Principal = who("view_hall"),
    ctx: ApiContext = Ctx,
):
    if not plausible(day):
        raise unprocessable(["query", "day"], DATES_MSG, "date_range")
    only = ctx.hall_filter(hall, principal)
    halls = [h for h in ctx.cfg.halls if ctx.sees_hall(principal, h.id) and only in (None, h.id)]
    tz = ZoneInfo(ctx.cfg.timezone)
    since = datetime.combine(day, time(), tz)
    until = since + timedelta(days=1)
    ids = [h.id for h in halls]
    rows = ctx.repos.service_events.between(ids, since, until)
    found = with_camera_waits(figures(rows, tz), ctx.repos.measurements.waits(ids, since, until), tz)
    names = {(h.id, w.id): w.name or w.id for h in halls for w in h.windows}
    hall_names = {h.id: h.name for h in halls}
    windows = [
        WindowDay(
            hall_id=hall_id,
            hall_name=hall_names[hall_id],
            window_id=window,
            window_name=names.get((hall_id, window), window),
            **f.day_json(),
        )  # fmt: skip
        for (_, hall_id, window), f in sorted(found.items())
        if hall_id in hall_names
    ]
    roster = ctx.roster()
    poor = []
    for r in rows:
        if r.kind != "rating" or r.score not in POOR_SCORES:
            continue
        alert = ctx.store.get(rating_alert_id(r.id))
        codecs = clip_codecs(ctx.evidence, alert.payload.get("evidence") or {}) if alert else {}
        poor.append(
            PoorRating(
                id=r.id,
                at=r.at.astimezone(tz),
                hall_id=r.hall_id,
                hall_name=hall_names[r.hall_id],
                window_id=r.window_id,
                window_name=names.get((r.hall_id, r.window_id or ""), r.window_id),
                ticket=r.ticket,
                score=r.score or 0,
                comment=r.comment,
                person=r.person,
                on_duty=roster.on_duty(r.hall_id, r.window_id, r.at) if r.window_id else [],
                alert_id=alert.event_id if alert else None,
                has_clip="open_clip" in codecs,
                clip_codec=codecs.get("open_clip"),
            )  # fmt: skip
        )
    return TicketDay(day=day, windows=windows, poor=poor)
