"""Persistence of the pipeline's per-minute service measurements: staffed seconds per window and
each served person's waiting time (the attendance report's input). Idempotent: a replayed minute
replaces the stored one, a replayed wait is stored once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, tuple_

from alerts.store.database import Database
from alerts.store.report_days import forget_spans
from alerts.store.schema import PostMinuteRow, QueueWaitRow
from domain.events import ServiceMinute

MINUTE = timedelta(minutes=1)


class MeasurementStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def apply_minutes(self, minutes: list[ServiceMinute]) -> None:
        posts: dict[tuple, dict] = {}
        waits: dict[tuple, dict] = {}
        for m in minutes:
            for p in m.posts:
                posts[(m.camera_id, p.window_id, m.minute)] = {
                    "camera_id": m.camera_id,
                    "window_id": p.window_id,
                    "minute": m.minute,
                    "hall_id": m.hall_id,
                    "observed_s": m.observed_s,
                    "staffed_s": p.staffed_s,
                    "first_in": p.first_in,
                    "last_in": p.last_in,
                }
            for w in m.waits:
                waits[(m.camera_id, w.track_id, w.served_at)] = {
                    "camera_id": m.camera_id,
                    "track_id": w.track_id,
                    "served_at": w.served_at,
                    "hall_id": m.hall_id,
                    "window_id": w.window_id,
                    "queued_at": w.queued_at,
                    "wait_s": w.wait_s,
                }
        with self.sessions() as session, session.begin():
            forget_spans(session, [(m.hall_id, m.minute, m.minute + MINUTE) for m in minutes if m.posts])
            if posts:
                keys = tuple_(PostMinuteRow.camera_id, PostMinuteRow.window_id, PostMinuteRow.minute)
                session.execute(delete(PostMinuteRow).where(keys.in_(list(posts))))
                session.execute(insert(PostMinuteRow), list(posts.values()))
            if waits:
                keys = tuple_(QueueWaitRow.camera_id, QueueWaitRow.track_id, QueueWaitRow.served_at)
                session.execute(delete(QueueWaitRow).where(keys.in_(list(waits))))
                session.execute(insert(QueueWaitRow), list(waits.values()))

    def post_minutes(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[PostMinuteRow]:
        query = (
            select(PostMinuteRow)
            .where(PostMinuteRow.hall_id.in_(list(hall_ids)))
            .where(PostMinuteRow.minute >= since)
            .where(PostMinuteRow.minute < until)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def post_minute_values(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[tuple]:
        """(hall, window, minute, observed_s, staffed_s, first_in, last_in) rows: what the
        attendance report reads, as plain tuples (no ORM objects for a long range's minutes)."""
        m = PostMinuteRow
        query = (
            select(m.hall_id, m.window_id, m.minute, m.observed_s, m.staffed_s, m.first_in, m.last_in)
            .where(m.hall_id.in_(list(hall_ids)))
            .where(m.minute >= since)
            .where(m.minute < until)
        )
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    def waits(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> list[QueueWaitRow]:
        query = (
            select(QueueWaitRow)
            .where(QueueWaitRow.hall_id.in_(list(hall_ids)))
            .where(QueueWaitRow.served_at >= since)
            .where(QueueWaitRow.served_at < until)
        )
        with self.sessions() as session:
            return list(session.scalars(query))
