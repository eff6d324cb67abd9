"""The messages both processes exchange, each defined once: what goes into the rule core besides
people (``Absence``), what comes out (``Violation``, ``ServiceMinute``), and the camera's
``Heartbeat``. Frozen dataclasses: the rule core builds them as plain objects; ``streams.wire``
decodes untrusted JSON into them through pydantic, which reads the bounds written here (and the
checks ``*_problems`` name for what one field cannot say), and generates their JSON Schemas
(``streams/schemas/``) from these definitions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, JsonValue, StringConstraints, computed_field
from typing_extensions import TypedDict

from domain.base import invalid, printable_name

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
VIOLATION_SCHEMA: Final = "hallwatch.violation.v1"
SERVICE_MINUTE_SCHEMA: Final = "hallwatch.service-minute.v1"
HEARTBEAT_SCHEMA: Final = "hallwatch.heartbeat.v1"
ABSENCE_SCHEMA = "hallwatch.absence.v1"


def _plausible(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a time between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# Building blocks: every string bounded to what the store's columns take, every number finite and
# bounded, every time with a UTC offset and between 2000 and 2100.
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Time = Annotated[AwareDatetime, AfterValidator(_plausible)]
Count = Annotated[int, Field(ge=0, le=2**53)]
People = Annotated[int, Field(ge=0, le=10_000)]
TrackId = Annotated[int, Field(ge=-1, le=2**31 - 1)]
Seconds = Annotated[float, Field(ge=0, le=366 * 86400, allow_inf_nan=False)]
Metres = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
# An event id names the event's evidence folder: letters, digits, '.', '_' and '-', starting with
# a letter or digit (the pipeline's are UUIDv5).
EVENT_ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"

Level = Literal["city", "county", "township"]
ViolationStatus = Literal["open", "closed"]
# poor_rating (差评): raised by the alerting service from a hall's rating system, never by the rules.
ViolationType = Literal["empty_post", "staff_chatting", "queue_crowding", "citizen_waiting", "poor_rating"]
QueueReason = Literal["too_close", "line_crossed", "over_capacity"]
Reason = Literal[
    "empty", "left_post", "late_arrival", "early_leave", "absent", "unattended", "gathering", "too_close",
    "line_crossed", "over_capacity", "called_empty",
]  # fmt: skip
ClosedReason = Literal["returned", "cleared", "service_end", "absence", "end_of_stream", "camera_offline"]


# -- input to the rules --------------------------------------------------------------------------
@dataclass(frozen=True)
class Absence:
    """A registered absence (去向公开): a clerk away on registered business is not an empty post.

    It names a hall and a window (or one post zone), a span, a reason and who registered it."""

    __pydantic_config__ = ConfigDict(title="Registered absence (去向公开)", extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    hall_id: Id
    start: Time
    end: Time
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
    registered_by: Id
    window_id: Id | None = None
    zone_id: Id | None = None
    person: Annotated[str, StringConstraints(max_length=64), AfterValidator(printable_name)] | None = None

    def covers(self, hall_id: str, window_id: str | None, zone_id: str) -> bool:
        if self.hall_id != hall_id:
            return False
        if self.zone_id is not None:
            return self.zone_id == zone_id
        return self.window_id is not None and self.window_id == window_id

    def describe(self) -> dict[str, str | None]:
        return {
            "absence_id": self.id,
            "reason": self.reason,
            "registered_by": self.registered_by,
            "person": self.person,
            "from": self.start.isoformat(),
            "until": self.end.isoformat(),
        }


def absence_problems(a: Absence) -> Absence:
    """What one field cannot say of an absence (ValueError)."""
    if a.end <= a.start:
        raise invalid("end_not_after_start", "`until` must be after `from`")
    if a.window_id is None and a.zone_id is None:
        raise invalid("window_or_zone_needed", "an absence needs a window or a post zone")
    return a


# -- output of the rules -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClosePair:
    """Two people of a queue closer than the rule's minimum distance, as the rule measured them."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    track_ids: tuple[TrackId, TrackId]
    distance_m: Metres


class Detection(TypedDict):
    """How much a staff_chatting or queue_crowding violation rests on the detector."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    frames: Annotated[int, Field(ge=0, le=10_000_000, description="Analysed frames the condition held.")]
    detected_share: Annotated[
        Share | None,
        Field(description="Share of the decisive people's appearances that were real detections, not held tracks."),
    ]
    mean_score: Annotated[Share | None, Field(description="Their mean detector score.")]


EvidenceRef = Annotated[str, StringConstraints(max_length=512)]


@dataclass(frozen=True)
class Violation:
    """One state of a violation: published when it opens and again when it closes (same
    ``event_id``); ``evidence`` is filled in by a later copy once clips exist. Consumers keep the
    latest status by the order open < closed."""

    __pydantic_config__ = ConfigDict(
        title="Violation event",
        extra="ignore",
        json_schema_extra={
            "description": "Published to hallwatch.violations (key = hall_id) when a violation opens and when it "
            "closes, with the same event_id. A later message with the same event_id and status closed (or an "
            "evidence update) repeats the whole event. Every value is bounded, numbers are finite, times carry an "
            "offset and lie between the years 2000 and 2100. Open: ended_at and closed_reason are null; closed: "
            "both are set and ended_at is not before started_at."
        },
    )

    event_id: Annotated[
        str,
        Field(
            pattern=EVENT_ID_PATTERN,
            max_length=64,
            description="Stable id of the violation: the pipeline's are UUIDv5 of camera, zone, type and start.",
        ),
    ]
    status: ViolationStatus
    type: ViolationType
    reason: Annotated[
        Reason | None,
        Field(
            description="empty_post: left_post (离岗), late_arrival (迟到), early_leave (早退), absent (缺岗) — the "
            "closing message's reason is final; 'empty' may appear in stored history; called_empty (叫号无人: a "
            "ticket called at the window while its post was empty, raised by the alerting service). citizen_waiting: unattended. "
            "staff_chatting: gathering. queue_crowding: too_close, line_crossed, over_capacity."
        ),
    ]
    hall_id: Id
    region_id: Id
    region_path: Annotated[
        tuple[Id, ...], Field(min_length=1, max_length=8, description="Region ids from the city to the hall's.")
    ]
    level: Level
    camera_id: Id
    zone_id: Id
    window_id: Id | None
    started_at: Time
    ended_at: Annotated[Time | None, Field(description="Null while open.")]
    duration_s: Seconds
    people: People
    track_ids: Annotated[tuple[TrackId, ...], Field(max_length=1000)]
    min_distance_m: Metres | None
    produced_at: Time
    closed_reason: Annotated[
        ClosedReason | None,
        Field(
            description="returned: someone came back; cleared: the condition ended; service_end: the supervised "
            "interval ended; absence: a registered absence began; camera_offline: no frames for longer than the "
            "camera's stall_s (ended at the last frame seen); end_of_stream: a file or replay ended."
        ),
    ] = None
    reasons: Annotated[
        tuple[QueueReason, ...], Field(max_length=3, description="Every queue reason seen, first first.")
    ] = ()
    pairs: Annotated[
        tuple[ClosePair, ...],
        Field(max_length=50, description="queue_crowding too_close: the pairs at the closest moment."),
    ] = ()
    suppressed: Annotated[
        dict[str, JsonValue] | None,
        Field(max_length=16, description="The registered absence that ended an empty_post violation."),
    ] = None
    detection: Detection | None = None
    evidence: Annotated[
        dict[Annotated[str, StringConstraints(max_length=64)], EvidenceRef],
        Field(
            max_length=32,
            description="Clip, snapshot and manifest paths relative to the evidence root, inside the event's "
            "own folder <day>/<hall_id>/<event_id>/, or a clip's ISO start time (keys ending _start).",
        ),
    ] = field(default_factory=dict)
    schema: Literal["hallwatch.violation.v1"] = VIOLATION_SCHEMA

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def opened_at(self) -> datetime:
        """Media time of this state: the start plus the duration so far (for an open message, the
        moment the violation was confirmed)."""
        return self.started_at + timedelta(seconds=self.duration_s)

    def with_evidence(self, evidence: dict[str, str]) -> Violation:
        return dataclasses.replace(self, evidence=dict(evidence))


def violation_problems(v: Violation) -> Violation:
    """What one field cannot say of a violation (ValueError): the status agrees with the end,
    time runs forward, evidence stays inside the event's own folder."""
    if v.is_open and (v.ended_at is not None or v.closed_reason is not None):
        raise ValueError("an open violation has no ended_at or closed_reason")
    if not v.is_open and (v.ended_at is None or v.closed_reason is None):
        raise ValueError("a closed violation needs ended_at and closed_reason")
    if v.ended_at is not None and v.ended_at < v.started_at:
        raise ValueError("ended_at is before started_at")
    for key, ref in v.evidence.items():
        if key.endswith("_start"):
            _plausible(datetime.fromisoformat(ref))
            continue
        parts = PurePosixPath(ref).parts
        if len(parts) != 4 or parts[1:3] != (v.hall_id, v.event_id) or ".." in parts or ref.startswith("/"):
            raise ValueError(f"evidence.{key}: {ref!r} is not a file of this event's own folder")
    return v


# -- measurements (not violations): what the attendance report and the queue metrics are built from --
@dataclass(frozen=True, slots=True)
class PostMinute:
    """One window's post in one minute: seconds someone was at it, first and last occupied frame."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    window_id: Id
    staffed_s: Annotated[float, Field(ge=0, le=60, allow_inf_nan=False)]
    first_in: Time | None = None
    last_in: Time | None = None


@dataclass(frozen=True, slots=True)
class AreaMinute:
    """People in one queue or service area during one minute (time-weighted mean, peak, at the end)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    zone_id: Id
    kind: Literal["queue_area", "service_area"]
    window_id: Id | None
    mean_people: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]
    max_people: People
    last_people: People


MAX_WAIT_S = 7200


@dataclass(frozen=True, slots=True)
class QueueWait:
    """A person who reached a window's service area after standing in a queue: first frame in the
    queue to first frame in the service area (at most ``MAX_WAIT_S``)."""

    __pydantic_config__ = ConfigDict(extra="ignore")

    window_id: Id
    zone_id: Id
    track_id: Annotated[int, Field(ge=0, le=2**31 - 1)]
    queued_at: Time
    served_at: Time

    @computed_field  # type: ignore[prop-decorator]
    @property
    def wait_s(self) -> float:
        return round((self.served_at - self.queued_at).total_seconds(), 3)


@dataclass(frozen=True)
class ServiceMinute:
    """One camera's measurements for one clock minute (``observed_s`` < 60 when frames were
    missing, or the camera started or stopped inside it)."""

    __pydantic_config__ = ConfigDict(
        title="One camera's service measurements for one minute",
        extra="forbid",
        json_schema_extra={
            "description": "Published by the pipeline to hallwatch.service-minutes (key = hall_id) when a clock "
            "minute ends (and for the partial minute when a camera stops). The attendance report and the queue "
            "metrics are built from them."
        },
    )

    camera_id: Id
    hall_id: Id
    minute: Annotated[Time, Field(description="Start of the clock minute (local time with offset).")]
    observed_s: Annotated[float, Field(ge=0, le=60, allow_inf_nan=False)]
    posts: Annotated[tuple[PostMinute, ...], Field(max_length=200)]
    areas: Annotated[tuple[AreaMinute, ...], Field(max_length=200)]
    waits: Annotated[tuple[QueueWait, ...], Field(max_length=1000)]
    produced_at: Time
    schema: Literal["hallwatch.service-minute.v1"] = SERVICE_MINUTE_SCHEMA


def minute_problems(m: ServiceMinute) -> ServiceMinute:
    """What one field cannot say of a service minute (ValueError)."""
    if m.minute.second or m.minute.microsecond:
        raise ValueError("minute: not the start of a minute")
    for p in m.posts:
        if p.staffed_s > m.observed_s + 1e-3:
            raise ValueError(f"posts: staffed_s of {p.window_id!r} exceeds observed_s")
        for value in (p.first_in, p.last_in):
            if value is not None and not 0 <= (value - m.minute).total_seconds() < 60:
                raise ValueError(f"posts: a time of {p.window_id!r} is outside its minute")
    for w in m.waits:
        if not 0 <= w.wait_s <= MAX_WAIT_S:
            raise ValueError(f"waits: a wait of {w.wait_s} s is not between 0 and {MAX_WAIT_S} s")
        if not 0 <= (w.served_at - m.minute).total_seconds() < 60:
            raise ValueError("waits: served outside its minute")
    return m


# -- the cameras' health -------------------------------------------------------------------------
Fps = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]


@dataclass(frozen=True)
class Heartbeat:
    """A camera's health, sent every ``kafka.heartbeat_interval_s``; coverage is computed from these."""

    __pydantic_config__ = ConfigDict(
        title="Camera heartbeat",
        extra="ignore",
        json_schema_extra={
            "description": "Sent every kafka.heartbeat_interval_s per camera to hallwatch.heartbeats "
            "(key = camera_id). Coverage is computed from these."
        },
    )

    camera_id: Id
    hall_id: Id
    region_id: Id
    level: Level
    status: Annotated[
        Literal["online", "degraded", "offline"],
        Field(description="online: frames flow at rate; degraded: late or slow; offline: cannot be read."),
    ]
    fps_in: Annotated[Fps, Field(description="Frames read per second since the last heartbeat.")]
    fps_analysed: Annotated[Fps, Field(description="Frames analysed per second since the last heartbeat.")]
    last_frame_at: Annotated[Time | None, Field(description="Media time of the last analysed frame.")]
    reconnects: Count
    produced_at: Time
    analysis_fps: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] | None = None
    post_windows: Annotated[tuple[Id, ...], Field(max_length=256)] = ()
    frames_in: Count = 0
    frames_analysed: Count = 0
    stalls: Count = 0
    error: Annotated[str, StringConstraints(max_length=2000)] | None = None
    ended: bool = False
    worker_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    schema: Literal["hallwatch.heartbeat.v1"] = HEARTBEAT_SCHEMA
