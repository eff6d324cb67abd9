"""Stored days of the attendance report (table ``report_days``, see ``alerts.attendance.stored``).

``forget`` is what every write of a report's input calls in its own transaction: the stored
hall-days whose span meets the written time are deleted (built again when next asked for), and
the change is noted for a quarter of an hour in ``report_changes``, so that a day being built from rows read
before the write is not stored with them (``put`` checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from alerts.store.database import Database
from alerts.store.schema import ReportChange, ReportDay, utcnow

CHANGES_KEPT = timedelta(minutes=15)  # far longer than a report takes to build (seconds)
CLOCK_SLACK = timedelta(seconds=60)  # instances' clocks may differ this much


def forget(session: Session, hall_id: str, start: datetime, end: datetime) -> None:
    """A write touched ``hall_id`` in [start, end]: stored days meeting it are stale."""
    forget_spans(session, [(hall_id, start, end)])


def forget_spans(session: Session, spans: Iterable[tuple[str, datetime, datetime]]) -> None:
    """``forget`` for a batch of writes: one span per hall (from its earliest to its latest time)."""
    by_hall: dict[str, tuple[datetime, datetime]] = {}
    for hall_id, start, end in spans:
        known = by_hall.get(hall_id)
        by_hall[hall_id] = (min(start, known[0]), max(end, known[1])) if known else (start, end)
    if not by_hall:
        return
    for hall_id, (start, end) in by_hall.items():
        session.execute(
            delete(ReportDay)
            .where(ReportDay.hall_id == hall_id)
            .where(ReportDay.starts_at <= end)
            .where(ReportDay.ends_at > start)
        )
    now = utcnow()
    session.execute(
        insert(ReportChange),
        [{"hall_id": h, "starts_at": s, "ends_at": e, "at": now} for h, (s, e) in by_hall.items()],
    )


class ReportDayStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, hall_ids: Iterable[str], days: list[date], config_key: str) -> dict[tuple[str, date], dict]:
        """(hall, day) -> the stored body, of those stored under ``config_key``."""
        if not days:
            return {}
        query = (
            select(ReportDay.hall_id, ReportDay.day, ReportDay.body)
            .where(ReportDay.hall_id.in_(list(hall_ids)))
            .where(ReportDay.day.in_([d.isoformat() for d in days]))
            .where(ReportDay.config_key == config_key)
        )
        with self.db.sessions() as session:
            return {(hall, date.fromisoformat(day)): body for hall, day, body in session.execute(query)}

    def put(self, rows: list[dict], read_at: datetime) -> int:
        """Store built days (hall_id, day, starts_at, ends_at, config_key, body) whose rows were read
        at ``read_at``, except those an input write touched since; how many were stored."""
        if not rows:
            return 0
        since = read_at - CLOCK_SLACK
        stored = 0
        with self.db.session() as session:
            for row in rows:
                touched = session.scalar(
                    select(
                        exists()
                        .where(ReportChange.hall_id == row["hall_id"])
                        .where(ReportChange.at >= since)
                        .where(ReportChange.starts_at <= row["ends_at"])
                        .where(ReportChange.ends_at > row["starts_at"])
                    )
                )
                if touched:
                    continue
                session.execute(
                    delete(ReportDay).where(ReportDay.hall_id == row["hall_id"], ReportDay.day == row["day"])
                )
                session.execute(insert(ReportDay).values(**row, built_at=utcnow()))
                stored += 1
        return stored

    def purge_changes(self) -> int:
        with self.db.session() as session:
            result = session.execute(delete(ReportChange).where(ReportChange.at < utcnow() - CHANGES_KEPT))
            return int(getattr(result, "rowcount", 0) or 0)
