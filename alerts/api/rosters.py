"""Window rosters (排班): the week's shifts per window, region-scoped; admins add and remove the
shifts kept in the console (the config's ``rosters:`` are shown read-only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field, model_validator

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, DATES_MSG, ApiContext, Ctx, plausible, unprocessable, who
from alerts.api.models import Id
from alerts.attendance.report import AttendanceReport
from alerts.rosters import conflicts, hhmm, on_duty, open_spans, week_of
from alerts.store.schema import RosterShiftRecord
from configs.model import Hall, Window
from domain.base import PersonName, invalid
from domain.roster import RosterShift
from domain.schedule import WEEKDAYS, Period, Weekday

router = APIRouter(tags=["rosters"], responses=COMMON_RESPONSES)


class RosterShiftIn(RosterShift):
    """A shift to add: a person at one window on some weekdays (or dates), in some periods."""

    person: PersonName = Field(min_length=1, description="Who is on duty, e.g. 张三 or a staff number.")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        max_length=7,
        description="Weekdays of this shift (ignored when `dates` is given).",
    )
    dates: list[date] = Field(default_factory=list, max_length=62, description="Specific dates instead of weekdays.")
    periods: list[Period] = Field(min_length=1, max_length=6, description="Periods of the day, the hall's local time.")

    @model_validator(mode="after")
    def _plausible(self) -> RosterShiftIn:
        if not all(map(plausible, [*self.dates, *(d for d in (self.valid_from, self.valid_until) if d)])):
            raise invalid("date_range", DATES_MSG)
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise invalid("end_not_after_start", "valid_until is before valid_from")
        return self


class PeriodOut(BaseModel):
    start: str
    end: str


class ShiftOut(BaseModel):
    person: str
    periods: list[PeriodOut]
    source: Literal["config", "console"] = Field(description="config: read-only here; console: can be removed")
    id: str | None = Field(None, description="The console-kept shift's id (for DELETE)")
    created_by: str | None = None


class WindowWeek(BaseModel):
    window_id: str
    window: str = Field(description="The window's name")
    days: list[list[ShiftOut]] = Field(
        description="Monday..Sunday: the shifts on duty each day, their periods within the hall's service hours"
    )
    closed: list[bool] = Field(description="Monday..Sunday: the hall (or window) does not serve that day")
    conflicts: list[list[str]] = Field(
        description="Monday..Sunday: two people holding the window at the same time, e.g. 张三、李四 09:00–12:00"
    )


class HallWeek(BaseModel):
    hall_id: str
    hall: str
    region_names: list[str]
    windows: list[WindowWeek]


class RosterWeek(BaseModel):
    week: list[date] = Field(description="Monday..Sunday")
    halls: list[HallWeek]


class ShiftCreated(BaseModel):
    id: str
    shift: RosterShift
    created_by: str
    created_at: datetime


@router.get("/api/rosters", response_model=RosterWeek)
def roster_week(
    day: date | None = Query(None, description="Any day of the week shown (default: today, the halls' local date)"),
    hall: Id | None = Query(None, description="Only this hall"),
    region: Id | None = Query(None, description="Only this region's subtree"),
    principal: Principal = who(),
    ctx: ApiContext = Ctx,
):
    cfg = ctx.cfg
    day = day or datetime.now(ZoneInfo(cfg.timezone)).date()
    if not plausible(day):
        raise unprocessable(["query", "day"], DATES_MSG, "date_range")
    prefix = ctx.region_prefix(region, principal)
    halls = [h for h in cfg.halls if ctx.hall_paths[h.id].startswith(prefix) and hall in (None, h.id)]
    if hall is not None and not halls:
        raise HTTPException(404, f"unknown hall {hall!r}")
    week = week_of(day)
    kept: dict[tuple[str, str], list[tuple[RosterShift, RosterShiftRecord | None]]] = {}
    for s, record in ctx.rosters.shifts([h.id for h in halls]):
        kept.setdefault((s.hall, s.window), []).append((s, record))
    calendars = AttendanceReport(cfg)

    def window_week(hall: Hall, window: Window) -> WindowWeek:
        days, closed, clashes = [], [], []
        calendar = calendars.calendar(window.schedule or hall.schedule)
        for d in week:
            opened = open_spans(calendar, d)
            duties = [
                (s, record, spans)
                for s, record in kept.get((hall.id, window.id), [])
                if s.applies_on(d) and (spans := on_duty(s, opened))
            ]
            days.append(
                [
                    ShiftOut(
                        person=s.person,
                        periods=[PeriodOut(start=hhmm(a), end=hhmm(b)) for a, b in spans],
                        source="config" if record is None else "console",
                        id=record and record.id,
                        created_by=record and record.created_by,
                    )
                    for s, record, spans in duties
                ]
            )
            closed.append(opened == [])
            clashes.append(conflicts([(s.person, spans) for s, _, spans in duties]))
        return WindowWeek(
            window_id=window.id, window=window.name or window.id, days=days, closed=closed, conflicts=clashes
        )

    names = {r.id: r.name for r in cfg.regions}
    return RosterWeek(
        week=week,
        halls=[
            HallWeek(
                hall_id=h.id,
                hall=h.name,
                region_names=[names[r] for r in cfg.region_path(h.region)],
                windows=[window_week(h, w) for w in h.windows],
            )
            for h in halls
        ],
    )


@router.post("/api/rosters", response_model=ShiftCreated, status_code=201)
def add_shift(body: RosterShiftIn, principal: Principal = who("edit_roster"), ctx: ApiContext = Ctx):
    hall = ctx.halls.get(body.hall)
    if hall is None or not ctx.sees_hall(principal, hall.id):
        raise HTTPException(404, f"unknown hall {body.hall!r}")
    if body.window not in {w.id for w in hall.windows}:
        raise unprocessable(["body", "window"], f"hall {hall.id!r} has no window {body.window!r}", "unknown_window")
    shift = RosterShift.model_validate(body.model_dump())
    record = ctx.rosters.store.add(shift, principal.username)
    ctx.rosters.changed()
    return ShiftCreated(id=record.id, shift=shift, created_by=record.created_by, created_at=record.created_at)


@router.delete("/api/rosters/{shift_id}", status_code=204, response_class=Response)
def delete_shift(shift_id: Id, principal: Principal = who("edit_roster"), ctx: ApiContext = Ctx):
    visible = [h for h in ctx.halls if ctx.sees_hall(principal, h)]
    if not ctx.rosters.store.delete(shift_id, principal.username, visible):
        raise HTTPException(404, "no such shift (shifts from the config file are changed there)")
    ctx.rosters.changed()
    return Response(status_code=204)
