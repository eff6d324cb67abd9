"""The supervision cases (督办): read side. ``alerts.lifecycle`` writes them with the alert's state.

A case is open while its alert is ``dispatched`` or ``rectified``; it is overdue while dispatched
past its deadline (``due_at``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import Alert, Case


def is_overdue(lifecycle: str, due_at: datetime | None, now: datetime) -> bool:
    """Dispatched and past its deadline, with no reply yet (逾期): the one definition."""
    return lifecycle == "dispatched" and due_at is not None and due_at <= now


@dataclass(frozen=True)
class OverdueCase:
    """A dispatched case past its deadline, not escalated for that deadline yet."""

    event_id: str
    region_id: str
    escalated_to: str | None


@dataclass(frozen=True)
class AlertFacts:
    """One alert as the statistics count it: its decision and, once dispatched, its case."""

    event_id: str
    type: str
    reason: str | None
    hall_id: str
    window_id: str | None
    region_id: str
    level: str
    started_at: datetime
    duration_s: float
    lifecycle: str
    review_outcome: str | None
    due_at: datetime | None
    rectified_late: bool | None


class CaseStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, event_id: str) -> Case | None:
        with self.db.sessions() as session:
            return session.get(Case, event_id)

    def for_alerts(self, event_ids: list[str]) -> dict[str, Case]:
        """The cases of these alerts (those dispatched), by event id: one query for a page."""
        if not event_ids:
            return {}
        with self.db.sessions() as session:
            return {c.event_id: c for c in session.scalars(select(Case).where(Case.event_id.in_(event_ids)))}

    def overdue(self, now: datetime) -> list[OverdueCase]:
        query = (
            select(Alert.event_id, Alert.region_id, Alert.escalated_to)
            .join(Case, Case.event_id == Alert.event_id)
            .where(Alert.lifecycle == "dispatched")
            .where(Case.due_at <= now)
            .where(Case.overdue_escalated_at.is_(None))
        )
        with self.db.sessions() as session:
            return [OverdueCase(*row) for row in session.execute(query)]

    def open_counts(self, now: datetime) -> tuple[Counter, Counter]:
        """(cases by (state, level, region), overdue cases by (level, region)) of open cases."""
        query = (
            select(Alert.lifecycle, Alert.level, Alert.region_id, Case.due_at)
            .join(Case, Case.event_id == Alert.event_id)
            .where(Alert.lifecycle.in_(("dispatched", "rectified")))
        )
        states: Counter = Counter()
        overdue: Counter = Counter()
        with self.db.sessions() as session:
            for state, level, region, due_at in session.execute(query):
                states[(state, level, region)] += 1
                if is_overdue(state, due_at, now):
                    overdue[(level, region)] += 1
        return states, overdue

    def facts(self, since: datetime, until: datetime, region_prefix: str, hall: str | None = None) -> list[AlertFacts]:
        """Every alert started in [since, until) under the region prefix (one hall), with its case."""
        query = (
            select(
                Alert.event_id,
                Alert.type,
                Alert.reason,
                Alert.hall_id,
                Alert.window_id,
                Alert.region_id,
                Alert.level,
                Alert.started_at,
                Alert.duration_s,
                Alert.lifecycle,
                Alert.review_outcome,
                Case.due_at,
                Case.rectified_late,
            )
            .outerjoin(Case, Case.event_id == Alert.event_id)
            .where(Alert.started_at >= since)
            .where(Alert.started_at < until)
            .where(Alert.region_path.startswith(region_prefix, autoescape=True))
        )
        if hall is not None:
            query = query.where(Alert.hall_id == hall)
        with self.db.sessions() as session:
            return [AlertFacts(**row._mapping) for row in session.execute(query)]
