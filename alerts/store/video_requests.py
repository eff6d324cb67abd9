"""视频回溯: the clips officers cut from the retained recordings (table ``video_requests``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from alerts.store.database import Database
from alerts.store.schema import VideoRequestRow


class VideoRequestStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def add(self, row: VideoRequestRow) -> None:
        with self.db.session() as session:
            session.add(row)

    def get(self, request_id: str) -> VideoRequestRow | None:
        with self.sessions() as session:
            return session.get(VideoRequestRow, request_id)

    def latest(self, hall_ids: Iterable[str], limit: int = 200) -> list[VideoRequestRow]:
        query = (
            select(VideoRequestRow)
            .where(VideoRequestRow.hall_id.in_(list(hall_ids)))
            .order_by(VideoRequestRow.created_at.desc())
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.scalars(query))
