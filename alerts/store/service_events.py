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

    def calls_unjoined(self, hall_id: str, window_id: str, since: datetime, until: datetime) -> list[ServiceEventRow]:
        """Tickets called at the window in [since, until) not yet joined to an alert."""
        query = select(ServiceEventRow).where(
            ServiceEventRow.kind == "ticket_called",
            ServiceEventRow.hall_id == hall_id,
            ServiceEventRow.window_id == window_id,
            ServiceEventRow.at >= since,
            ServiceEventRow.at < until,
            ServiceEventRow.alert_id.is_(None),
        )
        with self.sessions() as session:
            return list(session.scalars(query.order_by(ServiceEventRow.at)))

    def joined(self, event_id: str, alert_id: str) -> None:
        with self.db.session() as session:
            row = session.get(ServiceEventRow, event_id)
            if row is not None:
                row.alert_id = alert_id

    def between(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[ServiceEventRow]:
        query = (
            select(ServiceEventRow)
            .where(ServiceEventRow.hall_id.in_(list(hall_ids)), ServiceEventRow.at >= since, ServiceEventRow.at < until)
            .order_by(ServiceEventRow.at, ServiceEventRow.id)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def ticket_span(
        self, hall_id: str, window_id: str, ticket: str, before: datetime
    ) -> tuple[datetime, datetime] | None:
        """The ticket's last call at the window before ``before`` and its finish (its service start
        if it has no finish, else the moment itself): when the citizen was at the desk."""
        with self.sessions() as session:
            called = session.scalars(
                select(ServiceEventRow.at)
                .where(
                    ServiceEventRow.kind == "ticket_called",
                    ServiceEventRow.hall_id == hall_id,
                    ServiceEventRow.window_id == window_id,
                    ServiceEventRow.ticket == ticket,
                    ServiceEventRow.at <= before,
                )
                .order_by(ServiceEventRow.at.desc())
                .limit(1)
            ).first()
            if called is None:
                return None
            later = session.execute(
                select(ServiceEventRow.kind, ServiceEventRow.at).where(
                    ServiceEventRow.kind.in_(["ticket_served", "ticket_finished"]),
                    ServiceEventRow.hall_id == hall_id,
                    ServiceEventRow.ticket == ticket,
                    ServiceEventRow.at >= called,
                    ServiceEventRow.at <= before,
                )
            ).all()
        finished = [at for kind, at in later if kind == "ticket_finished"]
        served = [at for kind, at in later if kind == "ticket_served"]
        return called, min(finished or served or [called])
