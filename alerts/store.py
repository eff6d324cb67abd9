"""The alert repository: persistence of alerts, camera states, absences and the audit trail.

Idempotent by ``event_id``: duplicates and replays leave one alert, and open/close messages that
arrive out of order end in the right final state (``alerts.merge``: a closed message always wins
over an open one; an open message never reopens a closed alert). The operators' lifecycle
(acknowledge, review, close, escalate) is ``alerts.lifecycle``; this module only stores.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alerts.db import (
    AbsenceRecord, Alert, AuditEntry, Base, CameraState, ShiftNote, add_missing_columns, make_engine, region_path_key,
    utcnow,
)
from alerts.merge import alert_fields, merge_into, newer
from streams.absence_book import Absence
from streams.wire import Violation, violation_to_wire

__all__ = ["AbsenceRecord", "Alert", "AlertStore", "Applied", "AuditEntry", "CameraState", "identity",
           "is_unavailable", "region_path_key", "utcnow"]


MIRRORED = ("hall_id", "window_id", "zone_id", "person", "start", "end", "reason", "registered_by")


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached (retry later), as opposed to refusing one value."""
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def identity(v: Violation) -> tuple[str, str, str, str]:
    """What an event id stands for: a later message with the same id must agree on it."""
    return v.hall_id, v.camera_id, v.zone_id, v.type


@dataclass
class Applied:
    created: list[str] = field(default_factory=list)  # event ids that were new
    conflicts: set[tuple[str, tuple]] = field(default_factory=set)  # (event id, identity) refused


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def bulk_insert(session: Session, table, rows: list[dict]) -> None:  # noqa: ANN001 - a Table
    """INSERT many rows through the driver's executemany: the columns' own bind processors (UTC
    times, JSON) applied in one pass, without SQLAlchemy's per-row parameter machinery (a third of
    the ingest time at thousands of alerts a second). Every row has the keys of the first.
    SQLite only: psycopg adapts JSON and times itself, through SQLAlchemy's generic path."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    preparer = dialect.identifier_preparer
    sql = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)}) "
           f"VALUES ({', '.join(['?'] * len(names))})")
    values = [tuple(value if process is None or value is None else process(value)
                    for value, process in zip((row[n] for n in names), processors)) for row in rows]
    connection.exec_driver_sql(sql, values)


class AlertStore:
    def __init__(self, url: str = "sqlite:///var/alerts.db"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        add_missing_columns(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    # -- from Kafka ------------------------------------------------------------------------------
    def apply_violations(self, violations: list[Violation], owners: dict[str, str] | None = None) -> Applied:
        """Upsert a batch in one transaction: which event ids were new, and which messages were
        refused because their event id already stands for another hall, camera, zone or type.

        One SELECT for the whole batch, bulk INSERTs for new alerts and audit rows; only alerts
        that already exist are updated one by one (a close after an open, an evidence update).
        ``owners``: event id -> the region that owns a new alert from the start (escalated)."""
        owners = owners or {}
        applied = Applied()
        by_event: dict[str, list[Violation]] = {}
        for v in violations:
            by_event.setdefault(v.event_id, []).append(v)
        with self.session() as session:
            existing = {a.event_id: a for a in
                        session.scalars(select(Alert).where(Alert.event_id.in_(list(by_event))))}
            rows, audit = [], []
            now = utcnow()
            for event_id, items in by_event.items():
                alert = existing.get(event_id)
                # What the event id stands for: the stored alert's, else the first message's.
                truth = (alert.hall_id, alert.camera_id, alert.zone_id, alert.type) if alert else identity(items[0])
                agreeing = [v for v in items if identity(v) == truth]
                applied.conflicts |= {(event_id, identity(v)) for v in items if identity(v) != truth}
                if not agreeing:
                    continue
                v = functools.reduce(newer, agreeing)
                seen = {m.status for m in agreeing}
                if alert is None:
                    owner = owners.get(event_id)
                    rows.append({"event_id": event_id, "payload": violation_to_wire(v), "lifecycle": "new",
                                 "escalations": 1 if owner else 0, "escalated_to": owner,
                                 "escalated_at": now if owner else None, "received_at": now, "updated_at": now,
                                 **alert_fields(v)})
                    audit.extend({"event_id": event_id, "actor": "pipeline", "action": f"violation_{status}",
                                  "at": now, "details": {"started_at": _iso(v.started_at), "ended_at": _iso(v.ended_at)}}
                                 for status in ("open", "closed") if status in seen)
                    applied.created.append(event_id)
                elif merge_into(alert, v):
                    audit.append({"event_id": event_id, "actor": "pipeline", "action": "violation_closed", "at": now,
                                  "details": {"ended_at": _iso(v.ended_at), "closed_reason": v.closed_reason}})
            if rows:
                bulk_insert(session, Alert.__table__, rows)
            if audit:
                bulk_insert(session, AuditEntry.__table__, audit)
        return applied

    def apply_heartbeats(self, beats: list[dict]) -> None:
        """The latest heartbeat of each camera in the batch, in two statements (SQLAlchemy Core:
        one bulk INSERT for new cameras, one executemany UPDATE for known ones), not one ORM
        round trip per heartbeat."""
        latest = {beat["camera_id"]: beat for beat in beats}  # a later beat of a camera supersedes
        now = utcnow()
        table = CameraState.__table__
        with self.session() as session:
            known = set(session.scalars(select(CameraState.camera_id).where(CameraState.camera_id.in_(list(latest)))))
            rows = [{"camera_id": camera_id, "hall_id": b["hall_id"], "status": b["status"], "received_at": now,
                     "payload": b, "worker_id": b.get("worker_id")} for camera_id, b in latest.items()]
            new = [r for r in rows if r["camera_id"] not in known]
            old = [{**r, "key": r["camera_id"]} for r in rows if r["camera_id"] in known]
            if new:
                session.execute(table.insert(), new)
            if old:
                session.execute(table.update().where(table.c.camera_id == bindparam("key"))
                                .values(hall_id=bindparam("hall_id"), status=bindparam("status"),
                                        received_at=bindparam("received_at"), payload=bindparam("payload"),
                                        worker_id=bindparam("worker_id")), old)

    # -- audit rows that change no alert (the lifecycle's own writes are in alerts.lifecycle) ------
    def record(self, event_id: str | None, actor: str, action: str, details: dict | None = None) -> None:
        """Append one audit row: an evidence view, an export, a login."""
        with self.session() as session:
            session.add(AuditEntry(event_id=event_id, actor=actor, action=action, details=details or {}))

    # -- queries -------------------------------------------------------------------------------------
    def get(self, event_id: str) -> Alert | None:
        with self.sessions() as session:
            return session.get(Alert, event_id)

    def audit(self, event_id: str) -> list[AuditEntry]:
        with self.sessions() as session:
            return list(session.scalars(select(AuditEntry).where(AuditEntry.event_id == event_id)
                                        .order_by(AuditEntry.id)))

    def list(self, region_path: str | None = None, hall: str | None = None, type: str | None = None,
             lifecycle: str | None = None, event_status: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int = 100, offset: int = 0) -> list[Alert]:
        query = select(Alert)
        if region_path:
            query = query.where(Alert.region_path.startswith(region_path, autoescape=True))
        for column, value in ((Alert.hall_id, hall), (Alert.type, type), (Alert.lifecycle, lifecycle),
                              (Alert.event_status, event_status)):
            if value:
                query = query.where(column == value)
        if since:
            query = query.where(Alert.started_at >= since)
        if until:
            query = query.where(Alert.started_at < until)
        query = query.order_by(Alert.started_at.desc(), Alert.event_id).limit(limit).offset(offset)
        with self.sessions() as session:
            return list(session.scalars(query))

    def changed_since(self, since: datetime, region_prefix: str, limit: int = 5000) -> list[Alert]:
        query = (select(Alert).where(Alert.updated_at > since)
                 .where(Alert.region_path.startswith(region_prefix, autoescape=True))
                 .order_by(Alert.updated_at).limit(limit))
        with self.sessions() as session:
            return list(session.scalars(query))

    def changed_alerts(self, event_ids: list[str], region_prefix: str) -> list[Alert]:
        """The alerts with these ids in the region's subtree (what the live stream sends)."""
        query = (select(Alert).where(Alert.event_id.in_(event_ids))
                 .where(Alert.region_path.startswith(region_prefix, autoescape=True)).order_by(Alert.updated_at))
        with self.sessions() as session:
            return list(session.scalars(query))

    def under_review(self) -> set[str]:
        """Event ids whose alert is not closed yet: their evidence must not be deleted."""
        with self.sessions() as session:
            return set(session.scalars(select(Alert.event_id).where(Alert.lifecycle != "closed")))

    def unacknowledged(self, waiting_since: datetime | None = None) -> list:
        """Alerts nobody acknowledged yet (only the columns escalation reads; with
        ``waiting_since``, only those waiting at their level since then or longer): a backlog of
        thousands of new alerts is not loaded whole every check."""
        query = select(Alert.event_id, Alert.lifecycle, Alert.region_id, Alert.escalated_to, Alert.escalated_at,
                       Alert.received_at).where(Alert.lifecycle == "new")
        if waiting_since is not None:
            query = query.where(func.coalesce(Alert.escalated_at, Alert.received_at) <= waiting_since)
        with self.sessions() as session:
            return list(session.execute(query))

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Alert)) or 0

    def cameras(self) -> list[CameraState]:
        with self.sessions() as session:
            return list(session.scalars(select(CameraState)))

    def camera_states(self) -> list[tuple[str, str, str, datetime, str | None]]:
        """(camera, hall, status, received_at, worker) of every camera: what coverage needs,
        without loading objects or decoding payloads (a province has 20,000 cameras)."""
        query = select(CameraState.camera_id, CameraState.hall_id, CameraState.status, CameraState.received_at,
                       CameraState.worker_id)
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    def report_alerts(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[tuple]:
        """(hall, window, type, reason, started_at, ended_at, duration_s) of alerts started in
        [since, until) in these halls: what the attendance report counts."""
        query = (select(Alert.hall_id, Alert.window_id, Alert.type, Alert.reason, Alert.started_at, Alert.ended_at,
                        Alert.duration_s)
                 .where(Alert.hall_id.in_(list(hall_ids))).where(Alert.started_at >= since)
                 .where(Alert.started_at < until))
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    def shift_summary(self, region_prefix: str, since: datetime | None) -> dict:
        """What a hand-over note records about the author's subtree: alerts waiting for an
        acknowledgement, acknowledged but not reviewed, and alerts received since ``since``."""
        scoped = Alert.region_path.startswith(region_prefix, autoescape=True)
        with self.sessions() as session:
            count = lambda *where: session.scalar(select(func.count()).select_from(Alert).where(scoped, *where)) or 0  # noqa: E731
            return {"new": count(Alert.lifecycle == "new"), "acknowledged": count(Alert.lifecycle == "acknowledged"),
                    "received_since_last_note": count(Alert.received_at > since) if since else None}

    def add_shift_note(self, author: str, region_prefix: str, text: str) -> ShiftNote:
        with self.session() as session:
            last = session.scalar(select(ShiftNote.at).where(ShiftNote.region_path == region_prefix)
                                  .order_by(ShiftNote.at.desc()).limit(1))
        note = ShiftNote(author=author, region_path=region_prefix, text=text, at=utcnow(),
                         summary=self.shift_summary(region_prefix, last))
        with self.session() as session:
            session.add(note)
        return note

    def shift_notes(self, region_prefix: str, limit: int = 50) -> list[ShiftNote]:
        """Notes written in the user's subtree or above it (a county operator reads the city's)."""
        parts = region_prefix.strip("/").split("/")
        above = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        query = (select(ShiftNote)
                 .where(or_(ShiftNote.region_path.startswith(region_prefix, autoescape=True),
                            ShiftNote.region_path.in_(above)))
                 .order_by(ShiftNote.at.desc(), ShiftNote.id.desc()).limit(limit))
        with self.sessions() as session:
            return list(session.scalars(query))

    def open_counts(self) -> list[tuple[str, str, str, int]]:
        """(type, level, region_id, count) of alerts not yet reviewed."""
        query = (select(Alert.type, Alert.level, Alert.region_id, func.count())
                 .where(Alert.lifecycle.in_(("new", "acknowledged")))
                 .group_by(Alert.type, Alert.level, Alert.region_id))
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    # -- absences ------------------------------------------------------------------------------------
    def add_absence(self, record: AbsenceRecord, actor: str) -> AbsenceRecord:
        """Store a registered absence (the mirror of the absences topic may have stored it first)."""
        try:
            with self.session() as session:
                if session.get(AbsenceRecord, record.id) is not None:
                    return record
                session.add(record)
                session.add(AuditEntry(event_id=None, actor=actor, action="absence_registered",
                                       details={"absence_id": record.id, "hall_id": record.hall_id}))
        except IntegrityError:  # the mirror won the race: it is stored, audited, and the same
            pass
        return record

    def mirror_absences(self, absences: list[Absence], cancelled: list[str]) -> None:
        """The absences topic into the table the console lists (idempotent by absence id)."""
        with self.session() as session:
            for absence in absences:
                record = session.get(AbsenceRecord, absence.id)
                if record is None:
                    session.add(AbsenceRecord(id=absence.id, **{f: getattr(absence, f) for f in MIRRORED}))
                    session.add(AuditEntry(event_id=None, actor=absence.registered_by[:64], action="absence_registered",
                                           details={"absence_id": absence.id, "hall_id": absence.hall_id}))
                else:
                    for name in MIRRORED:
                        setattr(record, name, getattr(absence, name))
            for absence_id in cancelled:
                record = session.get(AbsenceRecord, absence_id)
                if record is not None:
                    session.delete(record)
                    session.add(AuditEntry(event_id=None, actor="register", action="absence_cancelled",
                                           details={"absence_id": absence_id}))

    def absences(self, hall_ids: Iterable[str] | None = None) -> list[AbsenceRecord]:
        query = select(AbsenceRecord).order_by(AbsenceRecord.start.desc())
        if hall_ids is not None:
            query = query.where(AbsenceRecord.hall_id.in_(list(hall_ids)))
        with self.sessions() as session:
            return list(session.scalars(query))
