"""An absence (去向公开) as JSON: a line of the register file and a message of the absences topic
(``domain.events.Absence`` through ``streams.wire``, plus the operation and its time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.events import Absence
from streams.wire import checked, decode, encode

ABSENCE_FIELDS = ("id", "hall_id", "start", "end", "reason", "registered_by", "window_id", "zone_id", "person")


def absence_of(record: object) -> Absence:
    """An ``Absence`` from any record with its fields as attributes (e.g. the console's database row)."""
    return Absence(**{name: getattr(record, name) for name in ABSENCE_FIELDS})


def check(absence: Absence) -> Absence:
    """ValueError (``BadMessage``) unless the absence is usable: every field within its bounds, an
    end after its start, a window or post zone."""
    return checked(absence)


def to_record(absence: Absence) -> dict[str, Any]:
    """The absence as JSON: a line of the register file, a message of the absences topic."""
    return {"op": "add", **encode(checked(absence)), "registered_at": datetime.now().astimezone().isoformat()}


def from_record(raw: bytes | str) -> Absence:
    """The absence in a line or message, checked like every other message (``BadMessage``)."""
    return decode(Absence, raw)
