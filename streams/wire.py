"""The wire form of the rule core's events: ``Violation`` <-> the JSON of
``hallwatch.violation.v1`` (``streams/schemas/``), the contract both processes validate."""
from __future__ import annotations

from datetime import datetime

from detectors.rules.events import ClosePair, Violation
from streams.messages import VIOLATION_SCHEMA

__all__ = ["ClosePair", "Violation", "violation_from_wire", "violation_to_wire"]


def violation_to_wire(v: Violation) -> dict:
    """The message as published (optional keys only when they say something)."""
    message = {
        "schema": VIOLATION_SCHEMA,
        "event_id": v.event_id,
        "status": v.status,
        "type": v.type,
        "reason": v.reason,
        "hall_id": v.hall_id,
        "region_id": v.region_id,
        "region_path": list(v.region_path),
        "level": v.level,
        "camera_id": v.camera_id,
        "zone_id": v.zone_id,
        "window_id": v.window_id,
        "started_at": v.started_at.isoformat(),
        "ended_at": v.ended_at.isoformat() if v.ended_at else None,
        "duration_s": v.duration_s,
        "people": v.people,
        "track_ids": list(v.track_ids),
        "min_distance_m": v.min_distance_m,
        "evidence": dict(v.evidence),
        "closed_reason": v.closed_reason,
        "produced_at": v.produced_at.isoformat(),
    }
    if v.reasons:
        message["reasons"] = list(v.reasons)
    if v.pairs:
        message["pairs"] = [{"track_ids": list(p.track_ids), "distance_m": p.distance_m} for p in v.pairs]
    if v.suppressed is not None:
        message["suppressed"] = dict(v.suppressed)
    return message


def violation_from_wire(m: dict) -> Violation:
    """A schema-valid message as a ``Violation``. Raises ValueError (or KeyError/TypeError) when a
    value the schema cannot express is wrong, e.g. a timestamp ``datetime`` cannot read."""
    return Violation(
        event_id=m["event_id"],
        status=m["status"],
        type=m["type"],
        reason=m.get("reason"),
        hall_id=m["hall_id"],
        region_id=m["region_id"],
        region_path=tuple(m["region_path"]),
        level=m["level"],
        camera_id=m["camera_id"],
        zone_id=m["zone_id"],
        window_id=m.get("window_id"),
        started_at=datetime.fromisoformat(m["started_at"]),
        ended_at=datetime.fromisoformat(m["ended_at"]) if m.get("ended_at") else None,
        duration_s=m["duration_s"],
        people=m.get("people", 0),
        track_ids=tuple(m.get("track_ids", ())),
        min_distance_m=m.get("min_distance_m"),
        produced_at=datetime.fromisoformat(m["produced_at"]),
        closed_reason=m.get("closed_reason"),
        reasons=tuple(m.get("reasons", ())),
        pairs=tuple(ClosePair(tuple(p["track_ids"]), p["distance_m"]) for p in m.get("pairs", ())),
        suppressed=m.get("suppressed"),
        evidence=m.get("evidence") or {},
    )

