"""Every table of the alerting service (SQLAlchemy 2); ``alerts.store.database`` creates them.

Times are stored as UTC everywhere and read back as aware datetimes. ``audit`` is append-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """Stored as UTC everywhere (SQLite keeps no offset); read back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times in the alert store must carry an offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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


class Case(Base):
    """督办: a confirmed alert sent to its hall to rectify, one row per alert (created at dispatch).
    The alert's ``lifecycle`` says where the case stands; every step is also in ``audit``."""

    __tablename__ = "cases"

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("alerts.event_id"), primary_key=True)
    requirement: Mapped[str] = mapped_column(Text)  # 整改要求
    due_at: Mapped[datetime] = mapped_column(index=True)  # 整改时限 (a return sets a new one)
    dispatched_at: Mapped[datetime] = mapped_column()  # the latest dispatch or return
    dispatched_by: Mapped[str] = mapped_column(String(64))
    first_dispatched_at: Mapped[datetime] = mapped_column()
    returns: Mapped[int] = mapped_column(Integer, default=0)  # 退回 so far
    rectification: Mapped[str | None] = mapped_column(Text)  # 整改反馈, the latest
    rectified_at: Mapped[datetime | None] = mapped_column()
    rectified_by: Mapped[str | None] = mapped_column(String(64))
    rectified_late: Mapped[bool | None] = mapped_column(Boolean)  # the latest reply came after due_at
    overdue_escalated_at: Mapped[datetime | None] = mapped_column()  # escalated for this deadline
    closing_note: Mapped[str | None] = mapped_column(Text)  # 办结意见
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(64))


class ReportDay(Base):
    """One hall's day of the attendance report as built once the day was over
    (``alerts.attendance.stored``); forgotten whenever one of its inputs is written."""

    __tablename__ = "report_days"

    hall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, the halls' date
    config_key: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(index=True)  # the day's span (UTC)
    ends_at: Mapped[datetime] = mapped_column()
    body: Mapped[dict] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column()


class ReportChange(Base):
    """A write to the report's inputs (a hall and the time it touched), kept minutes: a day built
    while it happened is not stored (``alerts.store.report_days``)."""

    __tablename__ = "report_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CameraState(Base):
    __tablename__ = "cameras"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict] = mapped_column(JSON)
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)  # scale-out: who runs it


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


class RosterShiftRecord(Base):
    """A window roster shift (排班) kept in the console; the config's ``rosters:`` are read-only there.
    ``shift`` is a ``domain.roster.RosterShift`` as JSON (its hall and window also in columns)."""

    __tablename__ = "roster_shifts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    window_id: Mapped[str] = mapped_column(String(64))
    shift: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShiftNote(Base):
    """交接班记录: what an operator hands over to the next shift, with the state of their subtree then."""

    __tablename__ = "shift_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    author: Mapped[str] = mapped_column(String(64))
    region_path: Mapped[str] = mapped_column(String(512), index=True)  # the author's subtree
    text: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # alerts waiting, open, new since the last note


class PostMinuteRow(Base):
    """A window's post in one minute, as one camera saw it (``hallwatch.service-minute.v1``)."""

    __tablename__ = "post_minutes"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    observed_s: Mapped[float] = mapped_column(Float)
    staffed_s: Mapped[float] = mapped_column(Float)
    first_in: Mapped[datetime | None] = mapped_column()
    last_in: Mapped[datetime | None] = mapped_column()


class QueueWaitRow(Base):
    """One person's wait: first frame in a queue to first frame in a window's service area."""

    __tablename__ = "queue_waits"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    served_at: Mapped[datetime] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    window_id: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[datetime] = mapped_column()
    wait_s: Mapped[float] = mapped_column(Float)


class VideoRequestRow(Base):
    """视频回溯: a span of a camera's retained recording an officer cut, signed in its own evidence
    folder (``manifest``: its path under the evidence root). The row is the request's record; who
    watched or downloaded it is in ``audit``."""

    __tablename__ = "video_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(64), index=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    window_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column()  # as asked
    ended_at: Mapped[datetime] = mapped_column()
    clip_start: Mapped[datetime] = mapped_column()  # as cut (the segment boundary at or before)
    clip_end: Mapped[datetime] = mapped_column()
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    clip: Mapped[str] = mapped_column(String(255))
    manifest: Mapped[str] = mapped_column(String(255))
    bytes: Mapped[int] = mapped_column(Integer)


class ServiceEventRow(Base):
    """An event of a hall's queue-ticket or rating system (``hallwatch.service-event.v1``), by the
    integrator's id (a repeat is not stored again); ``source`` says how it came (an integration's id,
    ``kafka`` or ``csv:<integration>``)."""

    __tablename__ = "service_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    hall_id: Mapped[str] = mapped_column(String(64))
    window_id: Mapped[str | None] = mapped_column(String(64))
    ticket: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()
    service: Mapped[str | None] = mapped_column(String(64))
    person: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    alert_id: Mapped[str | None] = mapped_column(String(64))  # a call joined to an empty-post alert

    __table_args__ = (Index("ix_service_events_hall_at", "hall_id", "at"),)


class User(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    hall_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a hall manager's hall


class SessionRecord(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_why: Mapped[str | None] = mapped_column(String(32), nullable=True)


def _json_text(value: object) -> str:
    """JSON columns through orjson (several times faster than the standard library on the
    ingest path); payloads are validated JSON already, so nothing here needs NaN or odd keys."""
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, json_serializer=_json_text, json_deserializer=orjson.loads)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


def region_path_key(path: Iterable[str]) -> str:
    """'/ziyang/yanjiang/lianhua/': a subtree is a prefix match."""
    return "/" + "/".join(path) + "/"


# Columns added after a table's first release: (table, column, SQL type).
LATER_COLUMNS = (
    ("cameras", "worker_id", "VARCHAR(128)"),
    ("users", "disabled", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("users", "hall_id", "VARCHAR(64)"),
)


def add_missing_columns(engine: Engine) -> None:
    """Databases created by an earlier version lack later columns: add them in place."""
    from sqlalchemy import inspect, text

    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    for table, column, sql_type in LATER_COLUMNS:
        if table in tables and column not in {c["name"] for c in inspector.get_columns(table)}:
            with engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
