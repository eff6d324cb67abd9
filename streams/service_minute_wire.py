"""The wire form of ``ServiceMinute`` (``hallwatch.service-minute.v1``): the per-minute staffed
seconds, area counts and waiting times the pipeline publishes for the attendance report."""

from __future__ import annotations

import math
from datetime import datetime

from domain.events import AreaMinute, PostMinute, QueueWait, ServiceMinute
from streams.messages import SERVICE_MINUTE_SCHEMA
from streams.wire import real_time

__all__ = ["AreaMinute", "PostMinute", "QueueWait", "ServiceMinute", "minute_from_wire", "minute_to_wire"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def minute_to_wire(m: ServiceMinute) -> dict:
    return {
        "schema": SERVICE_MINUTE_SCHEMA,
        "camera_id": m.camera_id,
        "hall_id": m.hall_id,
        "minute": m.minute.isoformat(),
        "observed_s": m.observed_s,
        "posts": [
            {
                "window_id": p.window_id,
                "staffed_s": p.staffed_s,
                "first_in": _iso(p.first_in),
                "last_in": _iso(p.last_in),
            }
            for p in m.posts
        ],
        "areas": [
            {
                "zone_id": a.zone_id,
                "kind": a.kind,
                "window_id": a.window_id,
                "mean_people": a.mean_people,
                "max_people": a.max_people,
                "last_people": a.last_people,
            }
            for a in m.areas
        ],
        "waits": [
            {
                "window_id": w.window_id,
                "zone_id": w.zone_id,
                "track_id": w.track_id,
                "queued_at": w.queued_at.isoformat(),
                "served_at": w.served_at.isoformat(),
                "wait_s": w.wait_s,
            }
            for w in m.waits
        ],
        "produced_at": m.produced_at.isoformat(),
    }


def minute_from_wire(d: dict) -> ServiceMinute:
    """A schema-valid message as a ``ServiceMinute``; ValueError for what the schema cannot say
    (times that are not real, a staffed time longer than the observed one, a wait that ends
    before it starts, a time outside its minute)."""
    minute = real_time(d["minute"], "minute")
    if minute.second or minute.microsecond:
        raise ValueError("minute: not the start of a minute")
    observed = d["observed_s"]
    if not math.isfinite(observed):
        raise ValueError("observed_s is not finite")
    posts = []
    for p in d["posts"]:
        if not math.isfinite(p["staffed_s"]) or p["staffed_s"] > observed + 1e-3:
            raise ValueError(f"posts: staffed_s of {p['window_id']!r} exceeds observed_s")
        first = real_time(p["first_in"], "first_in") if p["first_in"] else None
        last = real_time(p["last_in"], "last_in") if p["last_in"] else None
        for value in (first, last):
            if value is not None and not 0 <= (value - minute).total_seconds() < 60:
                raise ValueError(f"posts: a time of {p['window_id']!r} is outside its minute")
        posts.append(PostMinute(p["window_id"], p["staffed_s"], first, last))
    areas = []
    for a in d["areas"]:
        if not math.isfinite(a["mean_people"]):
            raise ValueError("areas: mean_people is not finite")
        areas.append(
            AreaMinute(a["zone_id"], a["kind"], a["window_id"], a["mean_people"], a["max_people"], a["last_people"])
        )
    waits = []
    for w in d["waits"]:
        wait = QueueWait(
            w["window_id"],
            w["zone_id"],
            w["track_id"],
            real_time(w["queued_at"], "queued_at"),
            real_time(w["served_at"], "served_at"),
        )
        if wait.served_at < wait.queued_at:
            raise ValueError("waits: served before queued")
        waits.append(wait)
    return ServiceMinute(
        d["camera_id"],
        d["hall_id"],
        minute,
        observed,
        tuple(posts),
        tuple(areas),
        tuple(waits),
        real_time(d["produced_at"], "produced_at"),
    )
