"""Message builders; the JSON Schemas in ``streams/schemas/`` are the published contract."""
from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

from configs.model import Camera, HallwatchConfig, ZoneKind

SCHEMAS = Path(__file__).with_name("schemas")
HEARTBEAT_SCHEMA = "hallwatch.heartbeat.v1"
VIOLATION_SCHEMA = "hallwatch.violation.v1"
SERVICE_MINUTE_SCHEMA = "hallwatch.service-minute.v1"


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def loads(raw: bytes | str) -> object:
    """Strict JSON: NaN and Infinity, which Python's json accepts, are rejected (no store takes them)."""
    return json.loads(raw, parse_constant=_no_constant)


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def validator(name: str):
    """A jsonschema validator: slow, but it explains every error."""
    from jsonschema import Draft7Validator, FormatChecker

    return Draft7Validator(schema(name), format_checker=FormatChecker())


@cache
def fast_validator(name: str):
    """The same schema compiled to Python (fastjsonschema): for the consumer's hot path.
    Raises fastjsonschema.JsonSchemaException on the first error."""
    import fastjsonschema

    return fastjsonschema.compile(schema(name))


def heartbeat(cfg: HallwatchConfig, camera: Camera, health: dict, now: datetime) -> dict:
    hall = cfg.hall(camera.hall)
    region = cfg.region(hall.region)
    return {
        "schema": HEARTBEAT_SCHEMA,
        "camera_id": camera.id,
        "hall_id": hall.id,
        "region_id": region.id,
        "level": region.level.value,
        "analysis_fps": camera.analysis_fps,
        "post_windows": sorted({z.window for z in camera.zones if z.kind is ZoneKind.post and z.window}),
        **health,
        "produced_at": now.isoformat(),
    }
