"""Window rosters (排班): who is on duty at which window and when, so alerts and reports name the
person. Rosters live in the config (``rosters:``) like schedules; a shift is a person at one
window on some weekdays (or dates), in some periods of the day, within an optional validity."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import Field

from domain.base import StrictModel
from domain.schedule import WEEKDAYS, Period, Weekday, parse_hhmm


class RosterShift(StrictModel):
    hall: str = Field(description="Hall id.")
    window: str = Field(description="Window id in that hall.")
    person: str = Field(min_length=1, max_length=64, description="Who is on duty, e.g. 张三 or a staff number.")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), description="Weekdays of this shift (ignored when `dates` is given)."
    )
    dates: list[date] = Field(default_factory=list, description="Specific dates instead of weekdays.")
    periods: list[Period] = Field(
        default_factory=lambda: [Period(start="00:00", end="24:00")],
        description="Periods of the day, local time; default the whole day.",
    )
    valid_from: date | None = Field(None, description="First day this shift applies (inclusive).")
    valid_until: date | None = Field(None, description="Last day this shift applies (inclusive).")

    def applies_on(self, day: date) -> bool:
        if self.valid_from and day < self.valid_from or self.valid_until and day > self.valid_until:
            return False
        return day in self.dates if self.dates else WEEKDAYS[day.weekday()] in self.days

    def covers(self, moment: time) -> bool:
        return any(parse_hhmm(p.start) <= moment < parse_hhmm(p.end) for p in self.periods)


class Roster:
    def __init__(self, shifts: list[RosterShift], tz: ZoneInfo):
        self.tz = tz
        self.by_window: dict[tuple[str, str], list[RosterShift]] = defaultdict(list)
        for shift in shifts:
            self.by_window[(shift.hall, shift.window)].append(shift)

    def on_duty(self, hall_id: str, window_id: str | None, t: datetime) -> list[str]:
        """Who was on duty at the window at ``t``."""
        shifts = self.by_window.get((hall_id, window_id or ""))
        if not shifts:
            return []
        local = t.astimezone(self.tz)
        return list(dict.fromkeys(s.person for s in shifts if s.applies_on(local.date()) and s.covers(local.time())))

    def on_day(self, hall_id: str, window_id: str, day: date) -> list[str]:
        """Everyone rostered at the window on ``day``."""
        return list(dict.fromkeys(s.person for s in self.by_window.get((hall_id, window_id), []) if s.applies_on(day)))
