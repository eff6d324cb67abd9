"""The wire form of the rule core's events: ``Violation`` <-> the JSON of
``hallwatch.violation.v1`` (``streams/schemas/``), the contract both processes validate."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import PurePosixPath

from domain.events import ClosePair, Violation
from streams.messages import VIOLATION_SCHEMA

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

__all__ = ["ClosePair", "Violation", "real_time", "violation_from_wire", "violation_to_wire"]


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
    if v.detection is not None:
        message["detection"] = dict(v.detection)
    return message


def real_time(text: str, name: str) -> datetime:
    """An ISO 8601 time with an offset, between the years 2000 and 2100 (ValueError otherwise):
    the schema's ``date-time`` lets through seconds of 60, year 0000 and naive times."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {text!r} has no UTC offset")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"{name}: {text!r} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    return value


def _check(v: Violation) -> Violation:
    """What the schema cannot say: finite numbers, time order, evidence inside the event's folder."""
    for name in ("duration_s", "min_distance_m"):
        value = getattr(v, name)
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{name} is not finite")
    if v.ended_at is not None and v.ended_at < v.started_at:
        raise ValueError("ended_at is before started_at")
    for key, ref in v.evidence.items():
        if key.endswith("_start"):
            real_time(ref, f"evidence.{key}")
            continue
        parts = PurePosixPath(ref).parts
        if len(parts) != 4 or parts[1:3] != (v.hall_id, v.event_id) or ".." in parts or ref.startswith("/"):
            raise ValueError(f"evidence.{key}: {ref!r} is not a file of this event's own folder")
    return v


def violation_from_wire(m: dict, stored: bool = False) -> Violation:
    """A schema-valid message as a ``Violation``. Raises ValueError (or KeyError/TypeError) when a
    value the schema cannot express is wrong: a timestamp ``datetime`` cannot read or out of
    range, a number that is not finite, an evidence path outside the event's folder.
    ``stored``: the message was checked when it arrived (read back from one's own store)."""
    parse = (lambda text, _name: datetime.fromisoformat(text)) if stored else real_time
    v = Violation(
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
        started_at=parse(m["started_at"], "started_at"),
        ended_at=parse(m["ended_at"], "ended_at") if m.get("ended_at") else None,
        duration_s=m["duration_s"],
        people=m.get("people", 0),
        track_ids=tuple(m.get("track_ids", ())),
        min_distance_m=m.get("min_distance_m"),
        produced_at=parse(m["produced_at"], "produced_at"),
        closed_reason=m.get("closed_reason"),
        reasons=tuple(m.get("reasons", ())),
        pairs=tuple(ClosePair(tuple(p["track_ids"]), p["distance_m"]) for p in m.get("pairs", ())),
        suppressed=m.get("suppressed"),
        detection=m.get("detection"),
        evidence=m.get("evidence") or {},
    )
    return v if stored else _check(v)
