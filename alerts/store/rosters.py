"""Shifts kept in the console (table ``roster_shifts``); ``alerts.rosters`` merges them with the
config's."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import AuditEntry, RosterShiftRecord, utcnow
from domain.roster import RosterShift


class RosterStore:
    """Console-kept shifts; every change is audited with the shift it added or removed."""

    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def add(self, shift: RosterShift, actor: str) -> RosterShiftRecord:
        record = RosterShiftRecord(
            id=uuid.uuid4().hex[:12],
            hall_id=shift.hall,
            window_id=shift.window,
            shift=shift.model_dump(mode="json"),
            created_by=actor,
            created_at=utcnow(),
        )
        with self.db.session() as session:
            session.add(record)
            session.add(
                AuditEntry(
                    event_id=None,
                    actor=actor,
                    action="roster_shift_added",
                    details={"roster_shift_id": record.id, "shift": record.shift},
                )
            )
        return record

    def delete(self, shift_id: str, actor: str, hall_ids: Iterable[str]) -> bool:
        """False when no console-kept shift with this id is in ``hall_ids``."""
        with self.db.session() as session:
            record = session.get(RosterShiftRecord, shift_id)
            if record is None or record.hall_id not in set(hall_ids):
                return False
            session.add(
                AuditEntry(
                    event_id=None,
                    actor=actor,
                    action="roster_shift_deleted",
                    details={"roster_shift_id": record.id, "shift": record.shift},
                )
            )
            session.delete(record)
        return True

    def list(self, hall_ids: Iterable[str] | None = None) -> list[RosterShiftRecord]:
        query = select(RosterShiftRecord).order_by(RosterShiftRecord.created_at, RosterShiftRecord.id)
        if hall_ids is not None:
            query = query.where(RosterShiftRecord.hall_id.in_(list(hall_ids)))
        with self.sessions() as session:
            return list(session.scalars(query))
