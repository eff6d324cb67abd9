"""What the alerting service does with the halls' queue tickets and ratings (排队叫号、好差评), from
the HTTP intake, a CSV import or the Kafka topic alike: store them once (by the integrator's id)
and join them to what the cameras saw. A ticket called at a window whose empty-post alert is open at
that moment is recorded on that alert (叫号无人: a citizen was called to an empty desk)."""

from __future__ import annotations

from alerts.live import Changes
from alerts.store.repositories import Repositories
from domain.service_events import ServiceEvent

CALLED_AT_EMPTY = "ticket_called_at_empty_post"


class ServiceEventIntake:
    def __init__(self, repos: Repositories, changes: Changes):
        self.repos, self.changes = repos, changes

    def take(self, events: list[ServiceEvent], source: str) -> tuple[int, int]:
        """Stores what is new and joins it; (stored, repeats). Hall and window were checked."""
        stored, repeats = self.repos.service_events.add(events, source)
        touched = []
        for event in stored:
            if event.kind == "ticket_called" and event.window is not None:
                alert = self.repos.alerts.empty_post_at(event.hall, event.window, event.at)
                if alert is not None:
                    details = {"ticket": event.ticket, "at": event.at.isoformat(), "source": source}
                    self.repos.alerts.record(alert.event_id, "system", CALLED_AT_EMPTY, details)
                    touched.append(alert.event_id)
        if touched:
            self.changes.bump(touched)
        return len(stored), repeats
