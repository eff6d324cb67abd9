"""Escalation, applied: the decisions of ``alerts.escalation`` carried out on the store, each one
notified and counted. The service's escalation thread calls it every few seconds."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.escalation import Due, due_escalations, overdue_escalations
from alerts.lifecycle import Lifecycle
from alerts.live import Changes
from alerts.metrics import ServiceMetrics
from alerts.notify import Notice, Notifier
from alerts.store.repositories import Repositories
from configs.model import HallwatchConfig
from domain.events import Violation
from streams.wire import decode


class Escalator:
    def __init__(
        self,
        cfg: HallwatchConfig,
        repos: Repositories,
        lifecycle: Lifecycle,
        notifier: Notifier,
        metrics: ServiceMetrics,
        changes: Changes,
    ):
        self.cfg, self.repos, self.lifecycle = cfg, repos, lifecycle
        self.notifier, self.metrics, self.changes = notifier, metrics, changes
        self.regions = {r.id: r for r in cfg.regions}

    def unacknowledged(self, now: datetime) -> int:
        """Alerts nobody acknowledged within ``alerts.escalation_minutes`` of their level."""
        minutes = self.cfg.alerts.escalation_minutes
        shortest = timedelta(minutes=min(minutes.values(), default=0))
        due = due_escalations(self.repos.alerts.unacknowledged(now - shortest), self.cfg, minutes, now)
        for d in due:
            self._apply(d, False, now, f"超时未处置，升级至{self.regions[d.to_region].name}")
        return len(due)

    def overdue(self, now: datetime) -> int:
        """Cases dispatched past their deadline without a reply: up one level, once per deadline."""
        due = overdue_escalations(self.repos.cases.overdue(now), self.cfg)
        for d in due:
            self._apply(d, True, now, f"督办逾期未整改，升级至{self.regions[d.to_region].name}")
        return len(due)

    def _apply(self, d: Due, overdue: bool, now: datetime, why: str) -> None:
        self.lifecycle.escalate(d.event_id, d.to_region, overdue=overdue, now=now if overdue else None)
        self.changes.bump([d.event_id])
        self.metrics.escalations.labels(self.regions[d.to_region].level.value).inc()
        alert = self.repos.alerts.get(d.event_id)
        if alert is not None:
            self.notifier.notify(Notice.of(self.cfg, decode(Violation, alert.payload, stored=True)), why)
