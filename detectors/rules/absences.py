"""Registered absences (去向公开): a clerk away on registered business is not an empty post.

An absence names a hall and a window (or one post zone), a span, a reason and who registered it.
During its span empty_post is suppressed for that window's posts; a violation open when the
absence begins closes with ``closed_reason: "absence"`` and the absence in ``suppressed``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from detectors.rules.empty_post import Supervision
from detectors.rules.schedule import ServiceCalendar


@dataclass(frozen=True)
class Absence:
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


def supervision_at(t: datetime, calendar: ServiceCalendar, absences: list[Absence]) -> Supervision:
    """The empty-post supervision interval containing ``t`` (service hours minus absences)."""
    interval = calendar.interval_at(t, empty_post=True)
    if interval is None:
        return Supervision(off_reason="outside_service_hours")
    start, end = interval.start, interval.end
    for absence in absences:
        if absence.start <= t < absence.end:
            return Supervision(off_reason="absence", off_since=max(absence.start, start),
                               off_details=absence.describe())
        if start < absence.end <= t:
            start = absence.end
        if t < absence.start < end:
            end = absence.start
    return Supervision(start=start, end=end)
