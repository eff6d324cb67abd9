"""The halls' queue tickets and ratings (table ``service_events``), idempotent by the integrator's
event id: a delivery repeated (a retry, a re-sent CSV) stores nothing twice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import ServiceEventRow
from domain.service_events import ServiceEvent


class ServiceEventStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def add(self, events: Iterable[ServiceEvent], source: str) -> tuple[list[ServiceEvent], int]:
        """Stores the events whose id is new, in one transaction; (those stored, how many repeats)."""
        events = list(events)
        unique = list({e.id: e for e in events}.values())
        with self.db.session() as session:
            known = set(
                session.scalars(select(ServiceEventRow.id).where(ServiceEventRow.id.in_([e.id for e in unique])))
            )
            fresh = [e for e in unique if e.id not in known]
            session.add_all(
                ServiceEventRow(
                    id=e.id,
                    kind=e.kind,
                    hall_id=e.hall,
                    window_id=e.window,
                    ticket=e.ticket,
                    at=e.at,
                    service=e.service,
                    person=e.person,
                    score=e.score,
                    comment=e.comment,
                    source=source,
                )
                for e in fresh
            )
        return fresh, len(events) - len(fresh)

    def between(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[ServiceEventRow]:
        query = (
            select(ServiceEventRow)
            .where(ServiceEventRow.hall_id.in_(list(hall_ids)), ServiceEventRow.at >= since, ServiceEventRow.at < until)
            .order_by(ServiceEventRow.at, ServiceEventRow.id)
        )
        with self.sessions() as session:
            return list(session.scalars(query))
