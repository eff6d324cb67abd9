"""Message builders: a camera's heartbeat from its worker's health (checked against
``domain.events.Heartbeat`` before it leaves)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from configs.model import Camera, HallwatchConfig, ZoneKind
from domain.events import Heartbeat
from streams.wire import decode, encode


def heartbeat(cfg: HallwatchConfig, camera: Camera, health: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The camera's heartbeat message, checked against its own definition before it leaves."""
    hall = cfg.hall(camera.hall)
    region = cfg.region(hall.region)
    beat = {
        "camera_id": camera.id,
        "hall_id": hall.id,
        "region_id": region.id,
        "level": region.level.value,
        "analysis_fps": camera.analysis_fps,
        "post_windows": sorted({z.window for z in camera.zones if z.kind is ZoneKind.post and z.window}),
        **health,
        "produced_at": now.isoformat(),
    }
    return encode(decode(Heartbeat, beat))
