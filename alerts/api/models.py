"""Request and response models of the API (they are the OpenAPI schema)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from alerts.access.auth import MAX_PASSWORD
from alerts.store.cases import is_overdue
from alerts.store.schema import Alert, Case
from configs.labels import ZONE_KINDS
from configs.model import Camera, Hall, HallwatchConfig
from domain.base import PersonName, invalid
from domain.events import Violation
from domain.roster import Roster
from streams.wire import decode


def _bounded_time(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid("offset_needed", "needs a UTC offset, e.g. 2026-03-02T09:00:00+08:00")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise invalid("year_range", "out of range") from None
    if not 1970 <= utc.year <= 2200:
        raise invalid("year_range", "must lie between the years 1970 and 2200")
    return value


def _iso_text(value: object) -> object:
    """Times are ISO 8601 text: a bare number (which pydantic would read as a Unix time) is refused."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        raise invalid("iso_time", "an ISO 8601 time with a UTC offset, e.g. 2026-03-02T09:00:00+08:00")
    return value


AwareTime = Annotated[
    datetime, BeforeValidator(_iso_text), AfterValidator(_bounded_time), Field(description="ISO 8601 with a UTC offset")
]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str, Field(max_length=2000)]


class CaseOut(BaseModel):
    """督办: what the centre required of the hall, by when, and what the hall replied."""

    requirement: str = Field(description="整改要求")
    due_at: datetime = Field(description="整改时限 (the latest, after a return)")
    dispatched_at: datetime
    dispatched_by: str
    first_dispatched_at: datetime
    returns: int = Field(description="How many times the reply was returned (退回)")
    rectification: str | None = Field(description="整改反馈, the latest")
    rectified_at: datetime | None
    rectified_by: str | None
    rectified_late: bool | None = Field(description="The latest reply came after its deadline")
    overdue: bool = Field(description="Dispatched and past its deadline, with no reply")
    closing_note: str | None = Field(description="办结意见")
    closed_at: datetime | None
    closed_by: str | None


class AlertOut(BaseModel):
    """Times are ISO 8601 with the halls' UTC offset (``timezone`` of the config), in lists, details
    and the live stream alike."""

    event_id: str
    type: str
    reason: str | None
    hall_id: str
    hall_name: str
    window_id: str | None
    window_name: str | None = Field(None, description="The window's display name, e.g. 1号综合窗口")
    region_id: str
    region_path: list[str]
    region_names: list[str] = Field(default_factory=list, description="Display names along region_path")
    level: str
    camera_id: str
    camera_name: str = Field("", description="The camera's display name (its id when it has none)")
    zone_id: str
    zone_name: str = Field("", description="The zone's display name, else its kind and window, e.g. 岗位 · 1号窗口")
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
    detection: dict | None = Field(
        None,
        description="How much the violation rests on the detector: frames, "
        "detected_share (not held tracks), mean_score",
    )
    on_duty: list[str] = Field(default_factory=list, description="Who the roster (排班) had at the window then")
    evidence: dict
    case: CaseOut | None = Field(None, description="The supervision case (督办), once dispatched")
    overdue: bool = Field(False, description="A dispatched case past its deadline (逾期)")


class AuditOut(BaseModel):
    at: datetime
    actor: str
    actor_name: str = Field("", description="The actor's display name (系统 for the service's own steps)")
    action: str
    details: dict


class AlertDetail(AlertOut):
    audit: list[AuditOut]
    integrity: str  # ok | failed | none
    integrity_problems: list[str]
    zone_polygon: list[list[float]] | None
    clip_codecs: dict[str, str] = {}  # "open_clip" -> "h264" | "hevc": where a browser may need a rendition


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class Logout(BaseModel):
    everywhere: bool = Field(False, description="End every session of this user, on every device.")


class Ack(BaseModel):
    note: Note | None = None


class BulkAck(BaseModel):
    event_ids: list[Id] = Field(min_length=1, max_length=500, description="Alerts to acknowledge at once.")
    note: Note | None = None


class BulkAckOut(BaseModel):
    acknowledged: list[str] = Field(description="Alerts acknowledged by this request.")
    refused: dict[str, str] = Field(description="Alerts not acknowledged, with why (unknown, or not new).")


class Review(BaseModel):
    outcome: Literal["confirmed", "dismissed"]
    note: Note = Field(min_length=1, description="Required: why.")


class Close(BaseModel):
    note: Note | None = Field(None, description="办结意见")


class Dispatch(BaseModel):
    requirement: Note = Field(min_length=1, description="整改要求: what the hall must do")
    due_at: AwareTime = Field(description="整改时限: when the hall's reply is due (in the future, within 366 days)")


class Rectify(BaseModel):
    note: Note = Field(min_length=1, description="整改反馈: what the hall did")


class Return(BaseModel):
    note: Note = Field(min_length=1, description="Why the reply is not enough (退回意见)")
    due_at: AwareTime = Field(description="The new deadline")


class AbsenceIn(BaseModel):
    hall_id: Id
    window_id: Id | None = None
    zone_id: Id | None = None
    person: PersonName | None = None
    start: AwareTime
    end: AwareTime
    reason: str = Field(min_length=1, max_length=500)


class AbsenceOut(AbsenceIn):
    person: str | None = None  # as stored (checked on its way in): an answer never fails on it
    id: str
    registered_by: str
    registered_at: datetime


def _in_zone(t: datetime | None, tz: ZoneInfo) -> datetime | None:
    return t.astimezone(tz) if t is not None else None


def case_out(case: Case, lifecycle: str, tz: ZoneInfo, now: datetime) -> dict:
    local = lambda t: _in_zone(t, tz)  # noqa: E731
    return dict(
        requirement=case.requirement,
        due_at=local(case.due_at),
        dispatched_at=local(case.dispatched_at),
        dispatched_by=case.dispatched_by,
        first_dispatched_at=local(case.first_dispatched_at),
        returns=case.returns,
        rectification=case.rectification,
        rectified_at=local(case.rectified_at),
        rectified_by=case.rectified_by,
        rectified_late=case.rectified_late,
        overdue=is_overdue(lifecycle, case.due_at, now),
        closing_note=case.closing_note,
        closed_at=local(case.closed_at),
        closed_by=case.closed_by,
    )


def _zone_name(camera: Camera | None, zone_id: str, hall: Hall | None) -> str:
    zone = next((z for z in camera.zones if z.id == zone_id), None) if camera else None
    if zone is None:
        return zone_id
    if zone.name:
        return zone.name
    window = next((w for w in hall.windows if w.id == zone.window), None) if hall and zone.window else None
    kind = ZONE_KINDS.get(zone.kind.value, zone.kind.value)
    return f"{kind} · {window.name or window.id}" if window else kind


def alert_out(cfg: HallwatchConfig, roster: Roster, a: Alert, case: Case | None = None) -> dict:
    """The stored alert's columns, its latest violation state and its case, for ``AlertOut``;
    ``roster`` names who was on duty (the config's and the console's shifts, ``ApiContext.roster()``)."""
    hall = next((h for h in cfg.halls if h.id == a.hall_id), None)
    window = next((w for w in hall.windows if w.id == a.window_id), None) if hall and a.window_id else None
    names = {r.id: r.name for r in cfg.regions}
    path = a.region_path.strip("/").split("/")
    tz = ZoneInfo(cfg.timezone)
    local = lambda t: _in_zone(t, tz)  # noqa: E731
    now = datetime.now(UTC)
    v = decode(Violation, a.payload, stored=True)
    camera = next((c for c in cfg.cameras if c.id == a.camera_id), None)
    return dict(
        event_id=a.event_id,
        type=a.type,
        reason=a.reason,
        hall_id=a.hall_id,
        hall_name=hall.name if hall else a.hall_id,
        window_id=a.window_id,
        window_name=(window.name or window.id) if window else a.window_id,
        region_id=a.region_id,
        region_path=path,
        region_names=[names.get(r, r) for r in path],
        level=a.level,
        camera_id=a.camera_id,
        camera_name=(camera.name or camera.id) if camera else a.camera_id,
        zone_id=a.zone_id,
        zone_name=_zone_name(camera, a.zone_id, hall),
        started_at=local(a.started_at),
        ended_at=local(a.ended_at),
        duration_s=a.duration_s,
        event_status=a.event_status,
        closed_reason=a.closed_reason,
        lifecycle=a.lifecycle,
        review_outcome=a.review_outcome,
        escalated_to=a.escalated_to,
        escalations=a.escalations,
        received_at=local(a.received_at),
        acknowledged_at=local(a.acknowledged_at),
        people=v.people,
        track_ids=list(v.track_ids),
        min_distance_m=v.min_distance_m,
        evidence=dict(v.evidence),
        detection=dict(v.detection) if v.detection else None,
        on_duty=roster.on_duty(a.hall_id, a.window_id, a.started_at) if a.window_id else [],
        case=case_out(case, a.lifecycle, tz, now) if case else None,
        overdue=bool(case and is_overdue(a.lifecycle, case.due_at, now)),
    )
