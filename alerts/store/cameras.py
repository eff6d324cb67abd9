"""The cameras' last heartbeats (table ``cameras``): what coverage and the camera wall read."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select

from alerts.store.database import Database
from alerts.store.schema import CameraState, utcnow
from domain.events import Heartbeat
from streams.wire import encode


class CameraStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def apply_heartbeats(self, beats: list[Heartbeat]) -> None:
        """The latest heartbeat of each camera in the batch, in two statements (SQLAlchemy Core:
        one bulk INSERT for new cameras, one executemany UPDATE for known ones), not one ORM
        round trip per heartbeat."""
        latest = {beat.camera_id: beat for beat in beats}  # a later beat of a camera supersedes
        now = utcnow()
        table = cast(Table, CameraState.__table__)
        with self.db.session() as session:
            known = set(session.scalars(select(CameraState.camera_id).where(CameraState.camera_id.in_(list(latest)))))
            rows = [
                {
                    "camera_id": camera_id,
                    "hall_id": b.hall_id,
                    "status": b.status,
                    "received_at": now,
                    "payload": encode(b),
                    "worker_id": b.worker_id,
                }
                for camera_id, b in latest.items()
            ]
            new = [r for r in rows if r["camera_id"] not in known]
            old = [{**r, "key": r["camera_id"]} for r in rows if r["camera_id"] in known]
            if new:
                session.execute(table.insert(), new)
            if old:
                session.execute(
                    table.update()
                    .where(table.c.camera_id == bindparam("key"))
                    .values(
                        hall_id=bindparam("hall_id"),
                        status=bindparam("status"),
                        received_at=bindparam("received_at"),
                        payload=bindparam("payload"),
                        worker_id=bindparam("worker_id"),
                    ),
                    old,
                )

    def cameras(self) -> list[CameraState]:
        with self.sessions() as session:
            return list(session.scalars(select(CameraState)))

    def camera_states(self) -> list[tuple[str, str, str, datetime, str | None]]:
        """(camera, hall, status, received_at, worker) of every camera: what coverage needs,
        without loading objects or decoding payloads (a province has 20,000 cameras)."""
        query = select(
            CameraState.camera_id,
            CameraState.hall_id,
            CameraState.status,
            CameraState.received_at,
            CameraState.worker_id,
        )
        with self.sessions() as session:
            return [(c, h, s, at, w) for c, h, s, at, w in session.execute(query)]
