"""What the alerting service does with the halls' queue tickets and ratings (排队叫号、好差评), from
the HTTP intake, a CSV import or the Kafka topic alike: store them once (by the integrator's id)
and join them to what the cameras saw.

差评 — a rating of 1 or 2 raises an alert of type ``poor_rating`` at that hall and window (on the
camera that watches the window's post), for the officer, with the person on duty as for any alert,
and the clip of that window from the rated ticket's call to its finish (or the rating's time ±
``evidence.rating_span_s``), cut from the camera's retained recording once it is recorded.

叫号无人 — a ticket called at a window whose post was empty at that moment:
- while the window's empty-post alert is open, the call is recorded on that alert;
- else, when the pipeline's minute of that window shows nobody at the post for the whole minute, an
  alert of its own is raised (empty_post, reason ``called_empty``) naming the ticket. A call that
  arrives before its minute does waits for the minute; each call joins one alert once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from alerts.live import Changes
from alerts.store.repositories import Repositories
from alerts.store.schema import PostMinuteRow
from configs.model import HallwatchConfig, ZoneKind
from domain.events import ServiceMinute, Violation
from domain.service_events import POOR_SCORES, ServiceEvent
from streams.wire import decode

CALLED_AT_EMPTY = "ticket_called_at_empty_post"
POOR_RATING = "poor_rating"
MIN_OBSERVED_S = 50.0  # a minute the camera saw for less is no evidence of an empty post
CALLS = uuid.UUID("6d1f3f0e-7c1a-5a43-9b8e-2f6b0c9d4e71")  # the namespace of raised alerts' ids


def rating_alert_id(rating_id: str) -> str:
    """The id of the 差评 alert a rating raised (one per rating, whoever delivers it again)."""
    return str(uuid.uuid5(CALLS, f"rating/{rating_id}"))


class ServiceEventIntake:
    def __init__(
        self,
        cfg: HallwatchConfig,
        repos: Repositories,
        changes: Changes,
        raise_alerts: Callable[[list[Violation]], None],
        clip: Callable[[Violation, datetime, datetime], None] = lambda *_: None,
    ):
        self.cfg, self.repos, self.changes, self.raise_alerts = cfg, repos, changes, raise_alerts
        self.clip = clip  # cuts an alert's clip from the recording, once recorded
        self._posts = {
            (camera.id, zone.window): zone.id
            for camera in cfg.cameras
            for zone in camera.zones
            if zone.kind is ZoneKind.post
        }
        self._halls = {camera.id: camera.hall for camera in cfg.cameras}

    def take(self, events: list[ServiceEvent], source: str) -> tuple[int, int]:
        """Stores what is new and joins it; (stored, repeats). Hall and window were checked."""
        stored, repeats = self.repos.service_events.add(events, source)
        for e in stored:
            if e.kind == "ticket_called" and e.window is not None:
                self._join(e.id, e.hall, e.window, e.ticket, e.at, source)
            elif e.kind == "rating" and e.score in POOR_SCORES and e.window is not None:
                self._poor_rating(e, source)
        return len(stored), repeats

    def minutes_arrived(self, minutes: list[ServiceMinute]) -> None:
        """Calls that waited for their minute: joined once the minute says the post was empty."""
        for m in minutes:
            if m.observed_s < MIN_OBSERVED_S:
                continue
            for post in m.posts:
                if post.staffed_s == 0:
                    end = m.minute + timedelta(minutes=1)
                    for call in self.repos.service_events.calls_unjoined(m.hall_id, post.window_id, m.minute, end):
                        self._join(call.id, call.hall_id, post.window_id, call.ticket, call.at, call.source)

    def _join(self, call_id: str, hall: str, window: str, ticket: str | None, at: datetime, source: str) -> None:
        details = {"ticket": ticket, "at": at.isoformat(), "source": source}
        alert = self.repos.alerts.empty_post_at(hall, window, at)
        if alert is None:
            minute = at.astimezone(UTC).replace(second=0, microsecond=0)
            rows = self.repos.measurements.post_minutes([hall], minute, minute + timedelta(minutes=1))
            seen = [r for r in rows if r.window_id == window and r.observed_s >= MIN_OBSERVED_S]
            if not seen or any(r.staffed_s > 0 for r in seen):
                return  # staffed, or not known yet (the minute may still come)
            violation = self._called_empty(call_id, hall, window, at, seen[0])
            if violation is None:
                return
            self.raise_alerts([violation])
            alert_id = violation.event_id
        else:
            alert_id = alert.event_id
        self.repos.alerts.record(alert_id, "system", CALLED_AT_EMPTY, details)
        self.repos.service_events.joined(call_id, alert_id)
        self.changes.bump([alert_id])

    def _poor_rating(self, rating: ServiceEvent, source: str) -> None:
        assert rating.window is not None
        camera = next((c for c, w in self._posts if w == rating.window and self._halls[c] == rating.hall), None)
        if camera is None:
            return  # no camera watches that window: the rating stays in the report's 差评数
        violation = self._violation(
            rating_alert_id(rating.id), rating.hall, rating.window, rating.at, camera, "poor_rating", None
        )
        self.raise_alerts([violation])
        span = None
        if rating.ticket is not None:
            span = self.repos.service_events.ticket_span(rating.hall, rating.window, rating.ticket, rating.at)
        details = {"score": rating.score, "comment": rating.comment, "person": rating.person, "ticket": rating.ticket,
                   "source": source, "served_from": span and span[0].isoformat(),
                   "served_until": span and span[1].isoformat()}  # fmt: skip
        self.repos.alerts.record(violation.event_id, "system", POOR_RATING, details)
        self.changes.bump([violation.event_id])
        around = timedelta(seconds=self.cfg.evidence.rating_span_s)
        self.clip(violation, *(span or (rating.at - around, rating.at + around)))

    def _called_empty(
        self, call_id: str, hall_id: str, window: str, at: datetime, row: PostMinuteRow
    ) -> Violation | None:
        if (row.camera_id, window) not in self._posts:
            return None
        event_id = str(uuid.uuid5(CALLS, call_id))
        return self._violation(event_id, hall_id, window, at, row.camera_id, "empty_post", "called_empty")

    def _violation(
        self, event_id: str, hall_id: str, window: str, at: datetime, camera: str, type_: str, reason: str | None
    ) -> Violation:
        """An alert the service raises itself: one moment at a window, on the camera of its post."""
        zone = self._posts[(camera, window)]
        hall = self.cfg.hall(hall_id)
        path = self.cfg.region_path(hall.region)
        message: dict[str, object] = {
            "schema": "hallwatch.violation.v1",
            "event_id": event_id,
            "status": "closed",
            "type": type_,
            "reason": reason,
            "hall_id": hall.id,
            "region_id": hall.region,
            "region_path": path,
            "level": self.cfg.region(hall.region).level.value,
            "camera_id": camera,
            "zone_id": zone,
            "window_id": window,
            "started_at": at.isoformat(),
            "ended_at": at.isoformat(),
            "duration_s": 0.0,
            "people": 0,
            "track_ids": [],
            "min_distance_m": None,
            "evidence": {},
            "closed_reason": "cleared",
            "produced_at": datetime.now(UTC).isoformat(),
        }
        return decode(Violation, message)
