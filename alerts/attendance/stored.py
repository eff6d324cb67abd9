"""The attendance report's days, stored: a hall's day once it is over is kept as built
(``alerts.store.report_days``), so a long range is a sum of stored days, not a rebuild from every
minute. What a day is built from can still change after it ended (a late minute from a pipeline's
spool, an officer's review, an absence registered afterwards): the stores forget the hall-days
their writes touch, in the same transaction, and the next report builds them again. A change of
the config (schedules, windows) makes every stored day stale (``config_key``)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date, datetime

from alerts.attendance.report import HallDay, PeriodRow, Totals, WindowDay
from configs.model import HallwatchConfig

FORMAT = 2  # bump when the stored shape changes: older rows are rebuilt


def config_key(cfg: HallwatchConfig) -> str:
    """What the days were built under: the config as a whole and the stored shape."""
    return hashlib.sha256(f"{FORMAT}|{cfg.model_dump_json()}".encode()).hexdigest()[:32]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_json(day: HallDay) -> dict:
    return {
        "windows": [
            {
                "day": w.day.isoformat(),
                "hall_id": w.hall_id,
                "window_id": w.window_id,
                "scheduled": w.scheduled,
                "totals": asdict(w.totals),
                "periods": [
                    {
                        "start": _time(p.start),
                        "end": _time(p.end),
                        "arrival": _time(p.arrival),
                        "departure": _time(p.departure),
                        "late_s": p.late_s,
                        "early_s": p.early_s,
                        "present_from_start": p.present_from_start,
                    }
                    for p in w.periods
                ],
            }
            for w in day.windows
        ],
        "totals": asdict(day.totals),
    }


def from_json(body: dict) -> HallDay:
    windows = [
        WindowDay(
            day=date.fromisoformat(w["day"]),
            hall_id=w["hall_id"],
            window_id=w["window_id"],
            periods=[
                PeriodRow(
                    start=_parse(p["start"]),  # type: ignore[arg-type]
                    end=_parse(p["end"]),  # type: ignore[arg-type]
                    arrival=_parse(p["arrival"]),
                    departure=_parse(p["departure"]),
                    late_s=p["late_s"],
                    early_s=p["early_s"],
                    present_from_start=p["present_from_start"],
                )
                for p in w["periods"]
            ],
            totals=Totals(**w["totals"]),
            scheduled=w["scheduled"],
        )
        for w in body["windows"]
    ]
    return HallDay(windows, Totals(**body["totals"]))
