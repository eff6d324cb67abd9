"""Window rosters (排班) as the alerting service knows them: the config's ``rosters:`` (read-only in
the console) plus the shifts kept in the console (table ``roster_shifts``), as one
``domain.roster.Roster`` that names who was on duty in alerts, case sheets and reports.

The combined roster is rebuilt when this process changes a shift and at most ``refresh_s`` after
another instance of the service did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from alerts.store.rosters import RosterStore
from alerts.store.schema import RosterShiftRecord
from configs.model import HallwatchConfig
from domain.roster import Roster, RosterShift
from domain.schedule import Period, parse_hhmm
from domain.service_calendar import ServiceCalendar


class RosterBook:
    """The config's shifts and the console's, as one ``Roster``."""

    def __init__(self, cfg: HallwatchConfig, store: RosterStore, refresh_s: float = 10.0):
        self.cfg, self.store, self.refresh_s = cfg, store, refresh_s
        self._lock = threading.Lock()
        self._roster: Roster | None = None
        self._built = 0.0

    def shifts(self, hall_ids: Iterable[str] | None = None) -> list[tuple[RosterShift, RosterShiftRecord | None]]:
        """Every shift of ``hall_ids`` (all halls: None) with its console record (None: the config's)."""
        halls = None if hall_ids is None else set(hall_ids)
        from_config = [(s, None) for s in self.cfg.rosters if halls is None or s.hall in halls]
        return from_config + [(RosterShift.model_validate(r.shift), r) for r in self.store.list(halls)]

    def roster(self) -> Roster:
        with self._lock:
            if self._roster is None or time.monotonic() - self._built > self.refresh_s:
                self._roster = Roster([s for s, _ in self.shifts()], ZoneInfo(self.cfg.timezone))
                self._built = time.monotonic()
            return self._roster

    def changed(self) -> None:
        with self._lock:
            self._roster = None


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


Span = tuple[int, int]  # minutes of the day, start inclusive, end exclusive


def minutes(period: Period) -> Span:
    """A period ("08:30"–"12:00") as minutes of the day (24:00 is 1440)."""
    start, end = parse_hhmm(period.start), parse_hhmm(period.end)
    return start.hour * 60 + start.minute, 1440 if end == clock.max else end.hour * 60 + end.minute


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def intersect(spans: list[Span], within: list[Span]) -> list[Span]:
    """The parts of ``spans`` inside ``within`` (both lists of minutes of one day)."""
    out = [(max(a, c), min(b, d)) for a, b in spans for c, d in within if max(a, c) < min(b, d)]
    return sorted(out)


def open_spans(calendar: ServiceCalendar | None, day: date) -> list[Span] | None:
    """When the hall serves on ``day`` (minutes of the day); None when it has no schedule."""
    if calendar is None:
        return None
    midnight = datetime.combine(day, clock(0), calendar.tz)
    spans = []
    for interval in calendar.intervals_on(day):
        start = max(0, int((interval.start - midnight).total_seconds() // 60))
        end = min(1440, int((interval.end - midnight).total_seconds() // 60))
        if start < end:
            spans.append((start, end))
    return spans


def on_duty(shift: RosterShift, opened: list[Span] | None) -> list[Span]:
    """The spans of ``shift`` on a day the hall serves ``opened`` (a shift of the whole day, the
    config's default, becomes the hall's periods; a closed day has none)."""
    spans = [minutes(p) for p in shift.periods]
    return spans if opened is None else intersect(spans, opened)


def conflicts(duties: list[tuple[str, list[Span]]]) -> list[str]:
    """Two different people holding one window at the same time, in words ("张三、李四 09:00–12:00")."""
    found = []
    for i, (first, a) in enumerate(duties):
        for second, b in duties[i + 1 :]:
            if first != second:
                found += [f"{first}、{second} {hhmm(s)}–{hhmm(e)}" for s, e in intersect(a, b)]
    return found
