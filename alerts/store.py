"""The alert store (SQLAlchemy 2): SQLite in WAL mode by default, PostgreSQL in production.

Idempotent by ``event_id``: duplicates and replays leave one alert, and open/close messages that
arrive out of order end in the right final state (a closed message always wins over an open one;
an open message never reopens a closed alert). Every lifecycle change is appended to ``audit``.

Alert lifecycle: new -> acknowledged (operator) -> reviewed (discipline officer: confirmed or
dismissed, note required) -> closed. Escalation moves an unacknowledged alert's ``escalated_to``
up the region tree without changing its lifecycle.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import (
    JSON, DateTime, Float, ForeignKey, Integer, String, Text, TypeDecorator, create_engine, event, func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

LIFECYCLE = ("new", "acknowledged", "reviewed", "closed")
EVENT_STATUS_RANK = {"open": 0, "closed": 1}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Stored as UTC everywhere (SQLite keeps no offset); read back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times in the alert store must carry an offset")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime()}


class Alert(Base):
    __tablename__ = "alerts"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    region_id: Mapped[str] = mapped_column(String(64))
    region_path: Mapped[str] = mapped_column(String(512), index=True)  # "/city/county/township/"
    level: Mapped[str] = mapped_column(String(16))
    camera_id: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str] = mapped_column(String(64))
    window_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    duration_s: Mapped[float] = mapped_column(Float)
    event_status: Mapped[str] = mapped_column(String(8), index=True)  # open | closed (the violation)
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)  # the latest message, merged
    lifecycle: Mapped[str] = mapped_column(String(16), default="new", index=True)
    review_outcome: Mapped[str | None] = mapped_column(String(16))
    escalated_to: Mapped[str | None] = mapped_column(String(64))
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("alerts.event_id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class CameraState(Base):
    __tablename__ = "cameras"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict] = mapped_column(JSON)


class AbsenceRecord(Base):
    __tablename__ = "absences"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    window_id: Mapped[str | None] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(String(64))
    person: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    registered_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


def make_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    return engine


def region_path_key(path: Iterable[str]) -> str:
    """'/ziyang/yanjiang/lianhua/': a subtree is a prefix match."""
    return "/" + "/".join(path) + "/"


def _aware(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _fields(m: dict) -> dict:
    return dict(
        type=m["type"], reason=m.get("reason"), hall_id=m["hall_id"], region_id=m["region_id"],
        region_path=region_path_key(m["region_path"]), level=m["level"], camera_id=m["camera_id"],
        zone_id=m["zone_id"], window_id=m.get("window_id"), started_at=_aware(m["started_at"]),
        ended_at=_aware(m.get("ended_at")), duration_s=m["duration_s"], event_status=m["status"],
        closed_reason=m.get("closed_reason"),
    )


def _newer(a: dict, b: dict) -> dict:
    """Of two messages for one event, the one that wins (closed over open, else the later), with
    evidence carried over from either."""
    winner, other = (b, a) if EVENT_STATUS_RANK[b["status"]] >= EVENT_STATUS_RANK[a["status"]] else (a, b)
    if not winner.get("evidence") and other.get("evidence"):
        winner = {**winner, "evidence": other["evidence"]}
    return winner


class AlertStore:
    def __init__(self, url: str = "sqlite:///var/alerts.db"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    # -- from Kafka ------------------------------------------------------------------------------
    def apply_violations(self, messages: list[dict]) -> list[str]:
        """Upsert a batch in one transaction; returns the event ids that were new.

        One SELECT for the whole batch, bulk INSERTs for new alerts and audit rows; only alerts
        that already exist are updated one by one (a close after an open, an evidence update)."""
        batch: dict[str, dict] = {}  # event id -> {"final": message, "seen": {"open", "closed"}}
        for m in messages:
            entry = batch.setdefault(m["event_id"], {"final": m, "seen": set()})
            entry["seen"].add(m["status"])
            entry["final"] = _newer(entry["final"], m)
        created: list[str] = []
        with self.session() as session:
            existing = {a.event_id: a for a in session.scalars(select(Alert).where(Alert.event_id.in_(list(batch))))}
            rows, audit = [], []
            now = utcnow()
            for event_id, entry in batch.items():
                m = entry["final"]
                alert = existing.get(event_id)
                if alert is None:
                    rows.append({"event_id": event_id, "payload": m, "lifecycle": "new", "escalations": 0,
                                 "received_at": now, "updated_at": now, **_fields(m)})
                    for status in ("open", "closed"):
                        if status in entry["seen"]:
                            audit.append({"event_id": event_id, "actor": "pipeline", "action": f"violation_{status}",
                                          "at": now, "details": {"started_at": m["started_at"],
                                                                 "ended_at": m.get("ended_at")}})
                    created.append(event_id)
                elif self._update(alert, m):
                    audit.append({"event_id": event_id, "actor": "pipeline", "action": "violation_closed", "at": now,
                                  "details": {"ended_at": m.get("ended_at"), "closed_reason": m.get("closed_reason")}})
            if rows:
                session.execute(Alert.__table__.insert(), rows)
            if audit:
                session.execute(AuditEntry.__table__.insert(), audit)
        return created

    @staticmethod
    def _update(alert: Alert, m: dict) -> bool:
        """Merge a message into an existing alert; True when it closed the violation."""
        incoming, current = EVENT_STATUS_RANK[m["status"]], EVENT_STATUS_RANK[alert.event_status]
        evidence = m.get("evidence") or alert.payload.get("evidence") or {}
        if incoming > current or (incoming == current and m != alert.payload):
            for key, value in _fields(m).items():
                setattr(alert, key, value)
            alert.payload = {**m, "evidence": evidence}
            return incoming > current
        if m.get("evidence") and not alert.payload.get("evidence"):
            alert.payload = {**alert.payload, "evidence": m["evidence"]}
        return False

    def apply_heartbeats(self, beats: list[dict]) -> None:
        now = utcnow()
        with self.session() as session:
            for beat in beats:
                state = session.get(CameraState, beat["camera_id"])
                if state is None:
                    session.add(CameraState(camera_id=beat["camera_id"], hall_id=beat["hall_id"],
                                            status=beat["status"], received_at=now, payload=beat))
                else:
                    state.hall_id, state.status, state.received_at, state.payload = (
                        beat["hall_id"], beat["status"], now, beat)

    # -- operators ---------------------------------------------------------------------------------
    def transition(self, event_id: str, actor: str, action: str, note: str | None = None,
                   outcome: str | None = None) -> Alert:
        """acknowledge | review | close, each only from the state before it."""
        allowed = {"acknowledge": ("new", "acknowledged"), "review": ("acknowledged", "reviewed"),
                   "close": ("reviewed", "closed")}
        if action not in allowed:
            raise ValueError(f"unknown action {action!r}")
        before, after = allowed[action]
        if action == "review":
            if outcome not in ("confirmed", "dismissed"):
                raise ValueError("a review is `confirmed` or `dismissed`")
            if not note or not note.strip():
                raise ValueError("a review needs a note")
        with self.session() as session:
            alert = session.get(Alert, event_id, with_for_update=True)
            if alert is None:
                raise KeyError(event_id)
            if alert.lifecycle != before:
                raise PermissionError(f"cannot {action} an alert that is {alert.lifecycle}")
            alert.lifecycle = after
            now = utcnow()
            if action == "acknowledge":
                alert.acknowledged_at = now
            if action == "review":
                alert.review_outcome = outcome
            session.add(AuditEntry(event_id=event_id, actor=actor, action=action, at=now,
                                   details={k: v for k, v in {"note": note, "outcome": outcome}.items() if v}))
            return alert

    def escalate(self, event_id: str, to_region: str) -> None:
        with self.session() as session:
            alert = session.get(Alert, event_id)
            alert.escalated_to = to_region
            alert.escalations += 1
            alert.escalated_at = utcnow()
            session.add(AuditEntry(event_id=event_id, actor="system", action="escalate",
                                   details={"to_region": to_region, "escalations": alert.escalations}))

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

    def under_review(self) -> set[str]:
        """Event ids whose alert is not closed yet: their evidence must not be deleted."""
        with self.sessions() as session:
            return set(session.scalars(select(Alert.event_id).where(Alert.lifecycle != "closed")))

    def unacknowledged(self) -> list[Alert]:
        with self.sessions() as session:
            return list(session.scalars(select(Alert).where(Alert.lifecycle == "new")))

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Alert)) or 0

    def cameras(self) -> list[CameraState]:
        with self.sessions() as session:
            return list(session.scalars(select(CameraState)))

    def open_counts(self) -> list[tuple[str, str, str, int]]:
        """(type, level, region_id, count) of alerts not yet reviewed."""
        query = (select(Alert.type, Alert.level, Alert.region_id, func.count())
                 .where(Alert.lifecycle.in_(("new", "acknowledged")))
                 .group_by(Alert.type, Alert.level, Alert.region_id))
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    # -- absences ------------------------------------------------------------------------------------
    def add_absence(self, record: AbsenceRecord, actor: str) -> AbsenceRecord:
        with self.session() as session:
            session.add(record)
            session.add(AuditEntry(event_id=None, actor=actor, action="absence_registered",
                                   details={"absence_id": record.id, "hall_id": record.hall_id}))
        return record

    def absences(self, hall_ids: Iterable[str] | None = None) -> list[AbsenceRecord]:
        query = select(AbsenceRecord).order_by(AbsenceRecord.start.desc())
        if hall_ids is not None:
            query = query.where(AbsenceRecord.hall_id.in_(list(hall_ids)))
        with self.sessions() as session:
            return list(session.scalars(query))
