"""Hand-over notes (交接班, table ``shift_notes``): what the author wrote and what was waiting in the
author's subtree at that moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from alerts.store.database import Database
from alerts.store.schema import Alert, ShiftNote, utcnow


class ShiftNoteStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def summary(self, region_prefix: str, since: datetime | None) -> dict:
        """What a hand-over note records about the author's subtree: alerts waiting for an
        acknowledgement, acknowledged but not reviewed, and alerts received since ``since``."""
        scoped = Alert.region_path.startswith(region_prefix, autoescape=True)
        with self.sessions() as session:
            count = lambda *where: session.scalar(select(func.count()).select_from(Alert).where(scoped, *where)) or 0  # noqa: E731
            return {
                "new": count(Alert.lifecycle == "new"),
                "acknowledged": count(Alert.lifecycle == "acknowledged"),
                "received_since_last_note": count(Alert.received_at > since) if since else None,
            }

    def add(self, author: str, region_prefix: str, text: str) -> ShiftNote:
        with self.db.session() as session:
            last = session.scalar(
                select(ShiftNote.at)
                .where(ShiftNote.region_path == region_prefix)
                .order_by(ShiftNote.at.desc())
                .limit(1)
            )
        note = ShiftNote(
            author=author, region_path=region_prefix, text=text, at=utcnow(), summary=self.summary(region_prefix, last)
        )
        with self.db.session() as session:
            session.add(note)
        return note

    def list(self, region_prefix: str, limit: int = 50) -> list[ShiftNote]:
        """Notes written in the user's subtree or above it (a county operator reads the city's)."""
        parts = region_prefix.strip("/").split("/")
        above = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        query = (
            select(ShiftNote)
            .where(
                or_(ShiftNote.region_path.startswith(region_prefix, autoescape=True), ShiftNote.region_path.in_(above))
            )
            .order_by(ShiftNote.at.desc(), ShiftNote.id.desc())
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.scalars(query))
