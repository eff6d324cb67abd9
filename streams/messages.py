"""Message builders, and the evidence overlay's hand-written schema (the other messages' schemas
are generated from ``domain.events`` by ``streams.wire``)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from configs.model import Camera, HallwatchConfig, ZoneKind
from domain.events import Heartbeat
from streams.wire import decode, encode

SCHEMAS = Path(__file__).with_name("schemas")
OVERLAY_SCHEMA = "hallwatch.evidence-overlay.v1"


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def loads(raw: bytes | str) -> object:
    """Strict JSON: NaN and Infinity, which Python's json accepts, are rejected (no store takes them).
    orjson (Rust, four times as fast on the consumer's hot path) refuses them itself; a message it
    refuses is parsed again by json only to say why in plain words. Errors are ValueErrors."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        json.loads(raw, parse_constant=_no_constant)  # raises the plainer reason, if it has one
        raise ValueError(str(error)) from None


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def validator(name: str):
    """A jsonschema validator: slow, but it explains every error."""
    from jsonschema import Draft7Validator, FormatChecker

    return Draft7Validator(schema(name), format_checker=FormatChecker())


@cache
def fast_validator(name: str):
    """The same schema in a Rust validator (jsonschema-rs, formats checked): for the consumer's hot
    path, about 2 us a message. ``is_valid(value)`` says whether it holds; ``validator`` explains why not."""
    import jsonschema_rs

    return jsonschema_rs.Draft7Validator(schema(name), validate_formats=True)


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
