"""Shared test data for the alerting service: a region/hall registry and violation messages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from alerts.consumer import Received
from domain.events import Heartbeat, Violation
from streams.wire import decode
from tests.helpers import rect

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
# The post zone the messages below name (a message may name only its camera's own zones).
P1 = {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 0, 200, 100)}


def violation_message(event_id: str, status: str = "open", **extra) -> dict:
    """A schema-valid ``hallwatch.violation.v1`` message (empty post in hall h1)."""
    closed = status == "closed"
    return {
        "schema": "hallwatch.violation.v1",
        "event_id": event_id,
        "status": status,
        "type": "empty_post",
        "reason": "left_post",
        "hall_id": "h1",
        "region_id": "town",
        "region_path": ["city", "county", "town"],
        "level": "township",
        "camera_id": "c-h1",
        "zone_id": "p1",
        "window_id": "w1",
        "started_at": T0.isoformat(),
        "ended_at": (T0 + timedelta(minutes=7)).isoformat() if closed else None,
        "duration_s": 420.0 if closed else 300.0,
        "people": 0,
        "track_ids": [],
        "min_distance_m": None,
        "evidence": {},
        "closed_reason": "returned" if closed else None,
        "produced_at": T0.isoformat(),
        **extra,
    }


def violation(event_id: str, status: str = "open", **extra) -> Violation:
    """The same violation, typed (as the consumer hands it to the store)."""
    return decode(Violation, json.dumps(violation_message(event_id, status, **extra)))


def received(message: dict, offset: int = 0, topic: str = "hallwatch.violations") -> Received:
    """A consumed violation message, as the consumer hands it to the service."""
    return Received(topic, message["hall_id"], 0, offset, violation=decode(Violation, json.dumps(message)))


def registry(bootstrap: str, group: str, **extra) -> dict:
    post = lambda w: {"id": f"{w}-post", "kind": "post", "window": w, "polygon": rect(0, 0, 100, 100)}  # noqa: E731
    return {
        "regions": [
            {"id": "city", "name": "资阳市", "level": "city"},
            {"id": "county", "name": "雁江区", "level": "county", "parent": "city"},
            {"id": "county2", "name": "安岳县", "level": "county", "parent": "city"},
            {"id": "town", "name": "莲花街道", "level": "township", "parent": "county"},
            {"id": "town2", "name": "石羊镇", "level": "township", "parent": "county2"},
        ],
        "halls": [
            {"id": "h-city", "name": "市政务服务中心", "region": "city", "windows": [{"id": "w1"}, {"id": "w2"}]},
            {"id": "h-county", "name": "区政务服务中心", "region": "county", "windows": [{"id": "w1"}]},
            {"id": "h1", "name": "莲花街道便民服务中心", "region": "town", "windows": [{"id": "w1"}, {"id": "w2"}]},
            {"id": "h2", "name": "石羊镇便民服务中心", "region": "town2", "windows": [{"id": "w1"}]},
        ],
        "cameras": [
            {"id": "c-city-1", "hall": "h-city", "source": "rtsp://x/1", "zones": [post("w1"), post("w2")]},
            {"id": "c-city-2", "hall": "h-city", "source": "rtsp://x/2", "zones": []},
            {"id": "c-county", "hall": "h-county", "source": "rtsp://x/3", "zones": [post("w1")]},
            {"id": "c-h1", "hall": "h1", "source": "rtsp://x/4", "zones": [post("w1"), P1]},
            # h2 has no camera at all
        ],
        "kafka": {"bootstrap_servers": bootstrap},
        "alerts": {"group_id": group, "escalation_minutes": {"township": 10, "county": 20}},
        "evidence": {"hmac_key": "registry-test-key"},
        **extra,
    }


def add_hall(data: dict, hall_id: str, region: str = "town") -> str:
    """A hall with one camera added to a registry config; returns the camera id (messages must
    name a configured hall and one of its cameras)."""
    camera_id = f"c-{hall_id}"
    data["halls"].append({"id": hall_id, "name": "测试大厅", "region": region, "windows": [{"id": "w1"}]})
    data["cameras"].append({"id": camera_id, "hall": hall_id, "source": "rtsp://x/test", "zones": [P1]})
    return camera_id


def heartbeat(camera: str, hall: str, status: str = "online", worker: str | None = "w1") -> Heartbeat:
    """A camera's heartbeat, typed (as the consumer hands it to the store)."""
    return Heartbeat(
        camera_id=camera,
        hall_id=hall,
        region_id="x",
        level="township",
        status=status,  # type: ignore[arg-type]
        fps_in=5.0,
        fps_analysed=5.0,
        last_frame_at=None,
        reconnects=0,
        produced_at=datetime.now(UTC),
        worker_id=worker,
    )


def minute_message(hall: str, camera: str, **change) -> dict:
    minute = T0.replace(second=0)
    return {
        "schema": "hallwatch.service-minute.v1",
        "camera_id": camera,
        "hall_id": hall,
        "minute": minute.isoformat(),
        "observed_s": 60.0,
        "posts": [{"window_id": "w1", "staffed_s": 30.0, "first_in": minute.isoformat(), "last_in": None}],
        "areas": [],
        "waits": [],
        "produced_at": minute.isoformat(),
        **change,
    }


def absence_message(hall: str, absence_id: str, **change) -> dict:
    return {
        "op": "add",
        "id": absence_id,
        "hall_id": hall,
        "window_id": "w1",
        "zone_id": None,
        "person": None,
        "start": T0.isoformat(),
        "end": (T0 + timedelta(hours=1)).isoformat(),
        "reason": "到县局开会",
        "registered_by": "王五",
        **change,
    }


def service_event_message(hall_id: str, window_id: str, kind: str = "ticket_called", **extra) -> dict:
    """A valid ``hallwatch.service-event.v1`` message: a ticket called at a window, now."""
    message: dict = {
        "id": f"q-{uuid.uuid4().hex[:16]}",
        "kind": kind,
        "hall": hall_id,
        "window": window_id,
        "ticket": "A001",
        "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    if kind == "rating":
        message.pop("ticket")
        message["score"] = 2
    return {**message, **extra}
