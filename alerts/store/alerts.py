"""The alert repository: alerts and their audit trail.

Idempotent by ``event_id``: duplicates and replays leave one alert, and open/close messages that
arrive out of order end in the right final state (``alerts.store.merge``: a closed message always wins
over an open one; an open message never reopens a closed alert). The operators' lifecycle
(acknowledge, review, close, escalate) is ``alerts.lifecycle``; this module only stores.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.orm import Session

from alerts.store.database import Database, bulk_insert
from alerts.store.merge import alert_fields, merge_into, newer
from alerts.store.report_days import forget_spans
from alerts.store.schema import Alert, AuditEntry, utcnow
from domain.events import Violation
from streams.wire import encode


def identity(v: Violation) -> tuple[str, str, str, str]:
    """What an event id stands for: a later message with the same id must agree on it."""
    return v.hall_id, v.camera_id, v.zone_id, v.type


@dataclass
class Applied:
    created: list[str] = field(default_factory=list)  # event ids that were new
    conflicts: set[tuple[str, tuple]] = field(default_factory=set)  # (event id, identity) refused


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class AlertStore:
    def __init__(self, db: Database):
        self.db = db
        self.sessions = db.sessions

    def session(self) -> AbstractContextManager[Session]:
        return self.db.session()

    # -- from Kafka ------------------------------------------------------------------------------
    def apply_violations(self, violations: builtins.list[Violation], owners: dict[str, str] | None = None) -> Applied:
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
            existing = {a.event_id: a for a in session.scalars(select(Alert).where(Alert.event_id.in_(list(by_event))))}
            rows: builtins.list[dict[str, Any]] = []
            audit: builtins.list[dict[str, Any]] = []
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
                    rows.append(
                        {
                            "event_id": event_id,
                            "payload": encode(v),
                            "lifecycle": "new",
                            "escalations": 1 if owner else 0,
                            "escalated_to": owner,
                            "escalated_at": now if owner else None,
                            "received_at": now,
                            "updated_at": now,
                            **alert_fields(v),
                        }
                    )
                    audit.extend(
                        {
                            "event_id": event_id,
                            "actor": "pipeline",
                            "action": f"violation_{status}",
                            "at": now,
                            "details": {"started_at": _iso(v.started_at), "ended_at": _iso(v.ended_at)},
                        }
                        for status in ("open", "closed")
                        if status in seen
                    )
                    applied.created.append(event_id)
                elif merge_into(alert, v):
                    audit.append(
                        {
                            "event_id": event_id,
                            "actor": "pipeline",
                            "action": "violation_closed",
                            "at": now,
                            "details": {"ended_at": _iso(v.ended_at), "closed_reason": v.closed_reason},
                        }
                    )
            forget_spans(  # the attendance report's stored days these alerts fall in
                session, [(v.hall_id, v.started_at, v.ended_at or v.started_at) for v in violations]
            )
            if rows:
                bulk_insert(session, cast(Table, Alert.__table__), rows)
            if audit:
                bulk_insert(session, cast(Table, AuditEntry.__table__), audit)
        return applied

    # -- audit rows that change no alert (the lifecycle's own writes are in alerts.lifecycle) ------
    def record(self, event_id: str | None, actor: str, action: str, details: dict | None = None) -> None:
        """Append one audit row: an evidence view, an export, a login."""
        with self.session() as session:
            session.add(AuditEntry(event_id=event_id, actor=actor, action=action, details=details or {}))

    # -- queries -------------------------------------------------------------------------------------
    def get(self, event_id: str) -> Alert | None:
        with self.sessions() as session:
            return session.get(Alert, event_id)

    def audit(self, event_id: str | None) -> builtins.list[AuditEntry]:
        with self.sessions() as session:
            return list(
                session.scalars(select(AuditEntry).where(AuditEntry.event_id == event_id).order_by(AuditEntry.id))
            )

    def list(
        self,
        region_path: str | None = None,
        hall: str | None = None,
        type: str | None = None,
        lifecycle: str | None = None,
        event_status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Alert]:
        """The matching alerts, newest first (``count`` says how many match in all)."""
        query = self._matching(region_path, hall, type, lifecycle, event_status, since, until)
        query = query.order_by(Alert.started_at.desc(), Alert.event_id).limit(limit).offset(offset)
        with self.sessions() as session:
            return list(session.scalars(query))

    def count_matching(
        self,
        region_path: str | None = None,
        hall: str | None = None,
        type: str | None = None,
        lifecycle: str | None = None,
        event_status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        query = self._matching(region_path, hall, type, lifecycle, event_status, since, until)
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    @staticmethod
    def _matching(
        region_path: str | None,
        hall: str | None,
        type: str | None,
        lifecycle: str | None,
        event_status: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> Select[Alert]:
        query = select(Alert)
        if region_path:
            query = query.where(Alert.region_path.startswith(region_path, autoescape=True))
        for column, value in (
            (Alert.hall_id, hall),
            (Alert.type, type),
            (Alert.lifecycle, lifecycle),
            (Alert.event_status, event_status),
        ):
            if value:
                query = query.where(column == value)
        if since:
            query = query.where(Alert.started_at >= since)
        if until:
            query = query.where(Alert.started_at < until)
        return query

    def changed_since(self, since: datetime, region_prefix: str, limit: int = 5000) -> builtins.list[Alert]:
        query = (
            select(Alert)
            .where(Alert.updated_at > since)
            .where(Alert.region_path.startswith(region_prefix, autoescape=True))
            .order_by(Alert.updated_at)
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def changed_alerts(self, event_ids: builtins.list[str], region_prefix: str) -> builtins.list[Alert]:
        """The alerts with these ids in the region's subtree (what the live stream sends)."""
        query = (
            select(Alert)
            .where(Alert.event_id.in_(event_ids))
            .where(Alert.region_path.startswith(region_prefix, autoescape=True))
            .order_by(Alert.updated_at)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def under_review(self) -> set[str]:
        """Event ids whose alert is not closed yet: their evidence must not be deleted."""
        with self.sessions() as session:
            return set(session.scalars(select(Alert.event_id).where(Alert.lifecycle != "closed")))

    def unacknowledged(self, waiting_since: datetime | None = None) -> builtins.list[Any]:
        """Alerts nobody acknowledged yet (only the columns escalation reads; with
        ``waiting_since``, only those waiting at their level since then or longer): a backlog of
        thousands of new alerts is not loaded whole every check."""
        query = select(
            Alert.event_id, Alert.lifecycle, Alert.region_id, Alert.escalated_to, Alert.escalated_at, Alert.received_at
        ).where(Alert.lifecycle == "new")
        if waiting_since is not None:
            query = query.where(func.coalesce(Alert.escalated_at, Alert.received_at) <= waiting_since)
        with self.sessions() as session:
            return list(session.execute(query))

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Alert)) or 0

    def report_alerts(self, hall_ids: Iterable[str], since: datetime, until: datetime) -> builtins.list[tuple]:
        """(hall, window, type, reason, started_at, ended_at, duration_s, reviewed) of alerts started
        in [since, until) in these halls that no officer dismissed: what the attendance report
        counts (a dismissed alert accuses no one; one not reviewed yet is marked)."""
        query = (
            select(
                Alert.hall_id,
                Alert.window_id,
                Alert.type,
                Alert.reason,
                Alert.started_at,
                Alert.ended_at,
                Alert.duration_s,
                Alert.review_outcome,
            )
            .where(Alert.hall_id.in_(list(hall_ids)))
            .where(or_(Alert.review_outcome.is_(None), Alert.review_outcome != "dismissed"))
            .where(Alert.started_at >= since)
            .where(Alert.started_at < until)
        )
        with self.sessions() as session:
            return [tuple(row) for row in session.execute(query)]

    def empty_post_at(self, hall_id: str, window_id: str, at: datetime) -> Alert | None:
        """The window's empty-post alert that was open at ``at`` (the latest to start), if any."""
        query = (
            select(Alert)
            .where(
                Alert.type == "empty_post",
                Alert.hall_id == hall_id,
                Alert.window_id == window_id,
                Alert.started_at <= at,
                or_(Alert.ended_at.is_(None), Alert.ended_at >= at),
            )
            .order_by(Alert.started_at.desc())
            .limit(1)
        )
        with self.sessions() as session:
            return session.scalars(query).first()

    def tally(self, region_path: str, since: datetime) -> builtins.list[tuple[str, str, str, str, str | None, int]]:
        """(type, level, hall_id, lifecycle, review_outcome, count) of the subtree's alerts that
        started at ``since`` or later (the big-screen wall's day)."""
        query = (
            select(Alert.type, Alert.level, Alert.hall_id, Alert.lifecycle, Alert.review_outcome, func.count())
            .where(Alert.region_path.startswith(region_path, autoescape=True), Alert.started_at >= since)
            .group_by(Alert.type, Alert.level, Alert.hall_id, Alert.lifecycle, Alert.review_outcome)
        )
        with self.sessions() as session:
            return [(t, lv, h, life, outcome, int(n)) for t, lv, h, life, outcome, n in session.execute(query)]

    def open_by_hall(self, region_path: str, limit: int) -> builtins.list[tuple[str, int]]:
        """The subtree's halls with the most alerts still open (not closed, not dismissed), most first."""
        count = func.count().label("n")
        query = (
            select(Alert.hall_id, count)
            .where(
                Alert.region_path.startswith(region_path, autoescape=True),
                Alert.lifecycle != "closed",
                or_(Alert.review_outcome.is_(None), Alert.review_outcome != "dismissed"),
            )
            .group_by(Alert.hall_id)
            .order_by(count.desc(), Alert.hall_id)
            .limit(limit)
        )
        with self.sessions() as session:
            return [(hall, int(n)) for hall, n in session.execute(query)]

    def open_counts(self) -> builtins.list[tuple[str, str, str, int]]:
        """(type, level, region_id, count) of alerts not yet reviewed."""
        query = (
            select(Alert.type, Alert.level, Alert.region_id, func.count())
            .where(Alert.lifecycle.in_(("new", "acknowledged")))
            .group_by(Alert.type, Alert.level, Alert.region_id)
        )
        with self.sessions() as session:
            return [(t, level, region, int(n)) for t, level, region, n in session.execute(query)]
