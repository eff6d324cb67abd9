"""Registered absences (去向公开) as the console lists them (table ``absences``): those registered in
the console and the mirror of the absences topic, idempotent by absence id, every change audited."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts.store.database import Database
from alerts.store.report_days import forget
from alerts.store.schema import AbsenceRecord, AuditEntry
from domain.events import Absence

MIRRORED = ("hall_id", "window_id", "zone_id", "person", "start", "end", "reason", "registered_by")


class AbsenceStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def add(self, record: AbsenceRecord, actor: str) -> AbsenceRecord:
        """Store a registered absence (the mirror of the absences topic may have stored it first)."""
        try:
            with self.db.session() as session:
                if session.get(AbsenceRecord, record.id) is not None:
                    return record
                session.add(record)
                forget(session, record.hall_id, record.start, record.end)
                session.add(
                    AuditEntry(
                        event_id=None,
                        actor=actor,
                        action="absence_registered",
                        details={"absence_id": record.id, "hall_id": record.hall_id},
                    )
                )
        except IntegrityError:  # the mirror won the race: it is stored, audited, and the same
            pass
        return record

    def mirror(self, absences: list[Absence], cancelled: list[str]) -> None:
        """The absences topic into the table the console lists (idempotent by absence id)."""
        with self.db.session() as session:
            for absence in absences:
                record = session.get(AbsenceRecord, absence.id)
                forget(session, absence.hall_id, absence.start, absence.end)
                if record is not None:  # its old span too, should it have moved
                    forget(session, record.hall_id, record.start, record.end)
                if record is None:
                    session.add(AbsenceRecord(id=absence.id, **{f: getattr(absence, f) for f in MIRRORED}))
                    session.add(
                        AuditEntry(
                            event_id=None,
                            actor=absence.registered_by[:64],
                            action="absence_registered",
                            details={"absence_id": absence.id, "hall_id": absence.hall_id},
                        )
                    )
                else:
                    for name in MIRRORED:
                        setattr(record, name, getattr(absence, name))
            for absence_id in cancelled:
                record = session.get(AbsenceRecord, absence_id)
                if record is not None:
                    forget(session, record.hall_id, record.start, record.end)
                    session.delete(record)
                    session.add(
                        AuditEntry(
                            event_id=None,
                            actor="register",
                            action="absence_cancelled",
                            details={"absence_id": absence_id},
                        )
                    )

    def list(self, hall_ids: Iterable[str] | None = None) -> list[AbsenceRecord]:
        query = select(AbsenceRecord).order_by(AbsenceRecord.start.desc())
        if hall_ids is not None:
            query = query.where(AbsenceRecord.hall_id.in_(list(hall_ids)))
        with self.sessions() as session:
            return list(session.scalars(query))
