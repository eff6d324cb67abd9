"""The rule core's domain types: what goes in besides people (``Absence``) and what comes out
(``Violation``). Plain frozen dataclasses; their wire form lives in ``streams.wire``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

ViolationStatus = Literal["open", "closed"]


@dataclass(frozen=True)
class Absence:
    """A registered absence (去向公开): a clerk away on registered business is not an empty post.

    It names a hall and a window (or one post zone), a span, a reason and who registered it."""

    id: str
    hall_id: str
    start: datetime
    end: datetime
    reason: str
    registered_by: str
    window_id: str | None = None
    zone_id: str | None = None
    person: str | None = None

    def covers(self, hall_id: str, window_id: str | None, zone_id: str) -> bool:
        if self.hall_id != hall_id:
            return False
        if self.zone_id is not None:
            return self.zone_id == zone_id
        return self.window_id is not None and self.window_id == window_id

    def describe(self) -> dict:
        return {
            "absence_id": self.id,
            "reason": self.reason,
            "registered_by": self.registered_by,
            "person": self.person,
            "from": self.start.isoformat(),
            "until": self.end.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ClosePair:
    """Two people of a queue closer than the rule's minimum distance, as the rule measured them."""

    track_ids: tuple[int, int]
    distance_m: float


@dataclass(frozen=True)
class Violation:
    """One state of a violation: published when it opens and again when it closes (same
    ``event_id``); ``evidence`` is filled in by a later copy once clips exist."""

    event_id: str
    status: ViolationStatus
    type: str
    reason: str | None
    hall_id: str
    region_id: str
    region_path: tuple[str, ...]
    level: str
    camera_id: str
    zone_id: str
    window_id: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    people: int
    track_ids: tuple[int, ...]
    min_distance_m: float | None
    produced_at: datetime
    closed_reason: str | None = None
    reasons: tuple[str, ...] = ()
    pairs: tuple[ClosePair, ...] = ()
    suppressed: Mapping[str, object] | None = None
    # For staff_chatting and queue_crowding: analysed frames the condition held, the share of the
    # decisive people's appearances that were real detections (not tracks held through a miss),
    # and their mean detector score.
    detection: Mapping[str, object] | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def opened_at(self) -> datetime:
        """Media time of this state: the start plus the duration so far (for an open message, the
        moment the violation was confirmed)."""
        return self.started_at + timedelta(seconds=self.duration_s)

    def with_evidence(self, evidence: Mapping[str, str]) -> Violation:
        return dataclasses.replace(self, evidence=dict(evidence))


# -- measurements (not violations): what the attendance report and the queue metrics are built from --
@dataclass(frozen=True, slots=True)
class PostMinute:
    """One window's post in one minute: seconds someone was at it, first and last occupied frame."""

    window_id: str
    staffed_s: float
    first_in: datetime | None = None
    last_in: datetime | None = None


@dataclass(frozen=True, slots=True)
class AreaMinute:
    """People in one queue or service area during one minute (time-weighted mean, peak, at the end)."""

    zone_id: str
    kind: str
    window_id: str | None
    mean_people: float
    max_people: int
    last_people: int


@dataclass(frozen=True, slots=True)
class QueueWait:
    """A person who reached a window's service area after standing in a queue: first frame in the
    queue to first frame in the service area."""

    window_id: str
    zone_id: str
    track_id: int
    queued_at: datetime
    served_at: datetime

    @property
    def wait_s(self) -> float:
        return round((self.served_at - self.queued_at).total_seconds(), 3)


@dataclass(frozen=True)
class ServiceMinute:
    """One camera's measurements for one clock minute (``observed_s`` < 60 when frames were
    missing, or the camera started or stopped inside it)."""

    camera_id: str
    hall_id: str
    minute: datetime
    observed_s: float
    posts: tuple[PostMinute, ...]
    areas: tuple[AreaMinute, ...]
    waits: tuple[QueueWait, ...]
    produced_at: datetime
