"""Registered absences (去向公开) in the empty-post rule.

During its span empty_post is suppressed for that window's posts; a violation open when the
absence begins closes with ``closed_reason: "absence"`` and the absence in ``suppressed``.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.empty_post import Supervision
from domain.events import Absence
from domain.service_calendar import ServiceCalendar


def supervision_at(t: datetime, calendar: ServiceCalendar, absences: list[Absence]) -> Supervision:
    """The empty-post supervision interval containing ``t`` (service hours minus absences)."""
    interval = calendar.interval_at(t, empty_post=True)
    if interval is None:
        return Supervision(off_reason="outside_service_hours")
    start, end = interval.start, interval.end
    bounded = interval.kinds != ("always",)  # a hall without a schedule has no period boundaries
    period_start, period_end = (start, end) if bounded else (None, None)
    for absence in absences:
        if absence.start <= t < absence.end:
            return Supervision(
                off_reason="absence", off_since=max(absence.start, start), off_details=absence.describe()
            )
        if start < absence.end <= t:
            start = absence.end
        if t < absence.start < end:
            end = absence.start
    return Supervision(start=start, end=end, period_start=period_start, period_end=period_end)
