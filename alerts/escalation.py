"""Escalation: an alert nobody acknowledged in time moves up to the parent region (乡 -> 县 -> 市)
and notifies again; so does a supervision case still without a reply past its deadline (逾期), once
per deadline (a city's own overdue case stays at the city and notifies). Pure: decides from the
alerts or cases, the region tree, the policy and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from configs.model import HallwatchConfig, Level


@dataclass(frozen=True)
class Due:
    event_id: str
    from_region: str
    to_region: str


def due_escalations(alerts, cfg: HallwatchConfig, minutes: dict[Level, float], now: datetime) -> list[Due]:
    regions = {r.id: r for r in cfg.regions}
    out = []
    for alert in alerts:
        if alert.lifecycle != "new":
            continue
        owner = regions.get(alert.escalated_to or alert.region_id)
        if owner is None or owner.parent is None:
            continue
        wait = minutes.get(owner.level)
        if wait is None:
            continue
        since = alert.escalated_at or alert.received_at
        if (now - since).total_seconds() >= wait * 60:
            out.append(Due(alert.event_id, owner.id, owner.parent))
    return out


def overdue_escalations(cases, cfg: HallwatchConfig) -> list[Due]:
    """``cases``: overdue cases not escalated for their deadline yet (``CaseStore.overdue``)."""
    regions = {r.id: r for r in cfg.regions}
    out = []
    for case in cases:
        owner = regions.get(case.escalated_to or case.region_id)
        if owner is not None:
            out.append(Due(case.event_id, owner.id, owner.parent or owner.id))
    return out
