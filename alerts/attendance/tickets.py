"""The queue-ticket and rating figures of the attendance report (排队叫号、好差评), per window and day,
from the halls' own systems (table ``service_events``). Pure: rows in, figures out.

- 办件量: tickets finished at the window that day (``ticket_finished``).
- 平均等候 (叫号): from a ticket's issue to its first call, averaged over the tickets called at the
  window that day (a ticket is one number in one hall on one local day; waits over 12 hours are a
  number re-used, not a wait).
- 差评数: ratings of 1 or 2 at the window that day.
- Beside the tickets' wait, the cameras' (``queue_waits``: from the first frame in a queue area to the
  first in the window's service area), averaged the same way, where a camera measures it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.service_events import POOR_SCORES

MAX_WAIT_S = 12 * 3600


class EventRow(Protocol):
    kind: str
    hall_id: str
    window_id: str | None
    ticket: str | None
    at: datetime
    score: int | None


@dataclass
class TicketFigures:
    finished: int = 0
    waits_s: list[float] = field(default_factory=list)
    poor_ratings: int = 0
    camera_waits_s: list[float] = field(default_factory=list)
    called: int = 0
    scores: list[int] = field(default_factory=list)

    def add(self, other: TicketFigures) -> None:
        self.finished += other.finished
        self.waits_s += other.waits_s
        self.poor_ratings += other.poor_ratings
        self.camera_waits_s += other.camera_waits_s
        self.called += other.called
        self.scores += other.scores

    def day_json(self) -> dict:
        """A window's day on the console's 叫号评价 page: the report's figures, the calls, the 90th
        percentile of the tickets' waits (nearest rank) and the ratings."""
        waits = sorted(self.waits_s)
        p90 = waits[max(0, -(-9 * len(waits) // 10) - 1)] / 60 if waits else None
        return {
            **self.as_json(),
            "tickets_called": self.called,
            "ticket_wait_p90_min": round(p90, 2) if p90 is not None else None,
            "ratings": len(self.scores),
            "mean_score": round(sum(self.scores) / len(self.scores), 2) if self.scores else None,
        }

    @property
    def mean_wait_min(self) -> float | None:
        return _mean_min(self.waits_s)

    def as_json(self) -> dict:
        return {
            "tickets_finished": self.finished,
            "ticket_waits": len(self.waits_s),
            "ticket_wait_min": self.mean_wait_min,
            "poor_ratings": self.poor_ratings,
            "camera_waits": len(self.camera_waits_s),
            "camera_wait_min": _mean_min(self.camera_waits_s),
        }


def _mean_min(seconds: list[float]) -> float | None:
    return round(sum(seconds) / len(seconds) / 60, 2) if seconds else None


class WaitRow(Protocol):
    hall_id: str
    window_id: str
    served_at: datetime
    wait_s: float


def with_camera_waits(
    found: dict[tuple[date, str, str], TicketFigures], waits: Iterable[WaitRow], tz: ZoneInfo
) -> dict[tuple[date, str, str], TicketFigures]:
    """``found`` with the cameras' queue waits added to each window's day."""
    for w in waits:
        key = (w.served_at.astimezone(tz).date(), w.hall_id, w.window_id)
        found.setdefault(key, TicketFigures()).camera_waits_s.append(w.wait_s)
    return found


def figures(rows: Iterable[EventRow], tz: ZoneInfo) -> dict[tuple[date, str, str], TicketFigures]:
    """(day, hall, window) -> that window's figures that day."""
    rows = sorted(rows, key=lambda r: r.at)
    issued: dict[tuple[date, str, str], datetime] = {}
    called: set[tuple[date, str, str]] = set()
    out: dict[tuple[date, str, str], TicketFigures] = {}

    def at(day: date, hall: str, window: str) -> TicketFigures:
        return out.setdefault((day, hall, window), TicketFigures())

    for r in rows:
        day = r.at.astimezone(tz).date()
        ticket = (day, r.hall_id, r.ticket or "")
        if r.kind == "ticket_issued" and r.ticket:
            issued.setdefault(ticket, r.at)
        elif r.kind == "ticket_called" and r.window_id and r.ticket and ticket not in called:
            called.add(ticket)
            at(day, r.hall_id, r.window_id).called += 1
            start = issued.get(ticket)
            wait = (r.at - start).total_seconds() if start else None
            if wait is not None and 0 <= wait <= MAX_WAIT_S:
                at(day, r.hall_id, r.window_id).waits_s.append(wait)
        elif r.kind == "ticket_finished" and r.window_id:
            at(day, r.hall_id, r.window_id).finished += 1
        elif r.kind == "rating" and r.window_id and r.score is not None:
            figures_ = at(day, r.hall_id, r.window_id)
            figures_.scores.append(r.score)
            figures_.poor_ratings += r.score in POOR_SCORES
    return out
