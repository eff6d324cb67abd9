"""The wire form of every message (``domain.events``): JSON in and out through pydantic, and the
JSON Schemas generated from the same definitions.

Decoding untrusted bytes is strict: JSON types must match (no "12" for 12, no number for a time),
numbers finite, times with an offset between 2000 and 2100, and each message's own checks
(``*_problems`` in ``domain.events``) hold; anything else raises ``BadMessage`` with the path and
the reason, the DLQ's words. Reading back one's own store is lax (``stored``): it was checked on
arrival.

    python -m streams.wire schemas [--check]     # write (or compare) streams/schemas/*.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, TypeAdapter, ValidationError

from domain.checkpoint import RULE_STATE_SCHEMA, RuleCheckpoint
from domain.events import (
    ABSENCE_SCHEMA,
    HEARTBEAT_SCHEMA,
    SERVICE_MINUTE_SCHEMA,
    VIOLATION_SCHEMA,
    Absence,
    Heartbeat,
    ServiceMinute,
    Violation,
    absence_problems,
    minute_problems,
    violation_problems,
)
from domain.overlay import OVERLAY_SCHEMA, EvidenceOverlay
from domain.service_events import SERVICE_EVENT_SCHEMA, ServiceEvent, service_event_problems

__all__ = ["BadMessage", "checked", "decode", "encode", "error_details", "json_schema", "problems"]

SCHEMAS = Path(__file__).with_name("schemas")
M = TypeVar("M")

# Each message with its own checks; the name is its schema id.
MESSAGES: dict[str, tuple[type, Any]] = {
    VIOLATION_SCHEMA: (Violation, Annotated[Violation, AfterValidator(violation_problems)]),
    SERVICE_MINUTE_SCHEMA: (ServiceMinute, Annotated[ServiceMinute, AfterValidator(minute_problems)]),
    HEARTBEAT_SCHEMA: (Heartbeat, Heartbeat),
    ABSENCE_SCHEMA: (Absence, Annotated[Absence, AfterValidator(absence_problems)]),
    OVERLAY_SCHEMA: (EvidenceOverlay, EvidenceOverlay),
    RULE_STATE_SCHEMA: (RuleCheckpoint, RuleCheckpoint),
    SERVICE_EVENT_SCHEMA: (ServiceEvent, Annotated[ServiceEvent, AfterValidator(service_event_problems)]),
}
_NAMES = {kind: name for name, (kind, _) in MESSAGES.items()}
# Keys a violation carries only when they say something (as they always were on the wire).
_ONLY_WHEN_SET = {"reasons": (), "pairs": (), "suppressed": None, "detection": None}


class BadMessage(ValueError):
    """An unusable message: ``str()`` says where and why, in one line."""


@cache
def adapter(name: str) -> TypeAdapter[Any]:
    """The message with its own checks: for what arrives."""
    return TypeAdapter(MESSAGES[name][1])


@cache
def stored_adapter(name: str) -> TypeAdapter[Any]:
    """The message alone, read laxly: for what one's own store kept (checked when it arrived)."""
    return TypeAdapter(MESSAGES[name][0])


def _reason(name: str, error: ValidationError) -> BadMessage:
    first = error.errors(include_url=False, include_input=False)[0]
    if first["type"] == "json_invalid":
        return BadMessage(f"not JSON: {first['msg']}"[:1000])
    if not first["loc"] and first["type"].endswith("_type"):
        return BadMessage(f"not a JSON object ({name})")
    where = "/".join(str(p) for p in first["loc"]) or "(root)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return BadMessage(f"schema {name}: {where}: {first['msg']}{more}"[:1000])


def decode(kind: type[M], raw: bytes | str | dict[str, Any], stored: bool = False) -> M:
    """The message of type ``kind`` in ``raw`` (JSON bytes or text, or a dict read back from one's
    own store with ``stored``), or ``BadMessage``."""
    name = _NAMES[kind]
    try:
        if stored:
            return stored_adapter(name).validate_python(raw)
        if isinstance(raw, dict):
            return adapter(name).validate_python(raw)
        return adapter(name).validate_json(raw, strict=True)
    except ValidationError as error:
        raise _reason(name, error) from None


def problems(kind: type[M], raw: bytes | str) -> tuple[M | None, list[dict[str, Any]]]:
    """The message in ``raw``, or every problem found: ``loc``, ``type`` (a stable kind), ``msg``
    and a JSON-safe ``ctx`` each, as an API's 422 names them."""
    try:
        return adapter(_NAMES[kind]).validate_json(raw, strict=True), []
    except ValidationError as error:
        return None, error_details(error)


def error_details(error: ValidationError, *prefix: str | int) -> list[dict[str, Any]]:
    """``error`` as an API's 422 ``detail``: ``loc`` (after ``prefix``), ``type``, ``msg`` and the
    JSON-safe part of ``ctx`` (a wrapped exception is left out)."""
    return json_safe_details(error.errors(include_url=False, include_input=False), *prefix)


def json_safe_details(errors: Iterable[Any], *prefix: str | int) -> list[dict[str, Any]]:
    """Validation errors (pydantic's, or FastAPI's for a request) as a 422 ``detail`` that always
    encodes: never the input (it may hold what JSON cannot carry, NaN or Infinity, or a secret),
    only the finite scalars of ``ctx``."""
    found = []
    for e in errors:
        context = {
            k: v
            for k, v in (e.get("ctx") or {}).items()
            if isinstance(v, (str, int, bool)) or (isinstance(v, float) and math.isfinite(v))
        }
        loc = [part if isinstance(part, (str, int)) else str(part) for part in (*prefix, *e["loc"])]
        found.append({"loc": loc, "type": str(e["type"]), "msg": str(e["msg"]), "ctx": context})
    return found


def encode(message: object) -> dict[str, Any]:
    """The message as the JSON object published (optional keys only when they say something)."""
    name = _NAMES[type(message)]
    if name == RULE_STATE_SCHEMA:  # the keys the rules set, as the rules named them
        return stored_adapter(name).dump_python(message, mode="json", by_alias=True, exclude_unset=True)
    data: dict[str, Any] = stored_adapter(name).dump_python(message, mode="json")
    if name == VIOLATION_SCHEMA:
        for key, empty in _ONLY_WHEN_SET.items():
            if key in data and data[key] in (empty, []):
                del data[key]
    return data


def checked(message: M) -> M:
    """A message built in this process, checked against its own definition before it leaves."""
    return decode(type(message), stored_adapter(_NAMES[type(message)]).dump_json(message))


# -- the published JSON Schemas ------------------------------------------------------------------
def json_schema(name: str) -> dict[str, Any]:
    """The message's JSON Schema (draft 2020-12), as it appears on the wire."""
    generated = TypeAdapter(MESSAGES[name][0]).json_schema(mode="serialization", by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": name, **generated}


def schema_text(name: str) -> str:
    return json.dumps(json_schema(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.wire", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("command", choices=["schemas"])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed schema differs")
    args = parser.parse_args(argv)
    stale = []
    for name in MESSAGES:
        path, text = SCHEMAS / f"{name}.json", schema_text(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date (run python -m streams.wire schemas): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
