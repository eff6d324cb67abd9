"""The merge policy of the alert store: how the messages of one event combine.

A closed message wins over an open one whatever the arrival order; of two with the same status
the later wins; an evidence update never reopens anything, it only adds ``evidence``.
"""

from __future__ import annotations

import dataclasses

from alerts.store.schema import Alert, region_path_key
from domain.events import Violation
from streams.wire import decode, encode

STATUS_RANK = {"open": 0, "closed": 1}


def newer(a: Violation, b: Violation) -> Violation:
    """Of two states of one event, the one that wins, with evidence carried over from either."""
    winner, other = (b, a) if STATUS_RANK[b.status] >= STATUS_RANK[a.status] else (a, b)
    if not winner.evidence and other.evidence:
        winner = dataclasses.replace(winner, evidence=other.evidence)
    return winner


def alert_fields(v: Violation) -> dict[str, object]:
    """The indexed columns of an alert, from the violation."""
    return dict(
        type=v.type,
        reason=v.reason,
        hall_id=v.hall_id,
        region_id=v.region_id,
        region_path=region_path_key(v.region_path),
        level=v.level,
        camera_id=v.camera_id,
        zone_id=v.zone_id,
        window_id=v.window_id,
        started_at=v.started_at,
        ended_at=v.ended_at,
        duration_s=v.duration_s,
        event_status=v.status,
        closed_reason=v.closed_reason,
    )


def merge_into(alert: Alert, v: Violation) -> bool:
    """Merge a violation state into a stored alert; True when it closed the violation. The stored
    state is compared as the typed event it was stored from."""
    incoming, current = STATUS_RANK[v.status], STATUS_RANK[alert.event_status]
    stored = decode(Violation, alert.payload, stored=True)
    if incoming > current or (incoming == current and v != stored):
        for key, value in alert_fields(v).items():
            setattr(alert, key, value)
        alert.payload = encode(dataclasses.replace(v, evidence=v.evidence or stored.evidence))
        return incoming > current
    if v.evidence and not stored.evidence:
        alert.payload = encode(dataclasses.replace(stored, evidence=v.evidence))
    return False
