"""An absence (去向公开) as JSON: a line of the register file and a message of the absences topic."""

from __future__ import annotations

from datetime import datetime

from domain.events import Absence

ABSENCE_FIELDS = ("id", "hall_id", "start", "end", "reason", "registered_by", "window_id", "zone_id", "person")


def absence_of(record: object) -> Absence:
    """An ``Absence`` from any record with its fields as attributes (e.g. the console's database row)."""
    return Absence(**{name: getattr(record, name) for name in ABSENCE_FIELDS})


def check(absence: Absence) -> Absence:
    if absence.end <= absence.start:
        raise ValueError("`until` must be after `from`")
    if absence.window_id is None and absence.zone_id is None:
        raise ValueError("an absence needs a window or a post zone")
    return absence


def to_record(absence: Absence) -> dict:
    """The absence as JSON: a line of the register file, a message of the absences topic."""
    return {
        "op": "add",
        "id": absence.id,
        "hall_id": absence.hall_id,
        "window_id": absence.window_id,
        "zone_id": absence.zone_id,
        "person": absence.person,
        "start": absence.start.isoformat(),
        "end": absence.end.isoformat(),
        "reason": absence.reason,
        "registered_by": absence.registered_by,
        "registered_at": datetime.now().astimezone().isoformat(),
    }


def from_record(r: dict) -> Absence:
    return Absence(
        id=r["id"],
        hall_id=r["hall_id"],
        start=datetime.fromisoformat(r["start"]),
        end=datetime.fromisoformat(r["end"]),
        reason=r["reason"],
        registered_by=r["registered_by"],
        window_id=r.get("window_id"),
        zone_id=r.get("zone_id"),
        person=r.get("person"),
    )
