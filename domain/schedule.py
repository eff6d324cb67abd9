"""Configuration of service hours: weekly plans, extra periods, holidays, market days."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.base import invalid

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def parse_hhmm(text: str) -> time:
    if text == "24:00":
        return time.max
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Period(_Strict):
    """A span of one day, `start` inclusive, `end` exclusive, local time."""

    start: str = Field(description="HH:MM local time.")
    end: str = Field(description="HH:MM local time (24:00 allowed), after start.")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, text: str) -> str:
        if not _HHMM.match(text):
            raise invalid("not_hhmm", "{text!r} is not HH:MM", text=text)
        return text

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if parse_hhmm(self.end) <= parse_hhmm(self.start):
            raise invalid("end_not_after_start", "end {end} is not after start {start}", end=self.end, start=self.start)
        return self

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        """Accept the compact form ["08:30", "12:00"]."""
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value


class WeeklyPlan(_Strict):
    days: list[Weekday] = Field(description="Weekdays this plan applies to, e.g. [mon, tue, wed, thu, fri].")
    periods: list[Period] = Field(description="Service periods on those days; the gaps are breaks (lunch).")


class ExtraPeriods(_Strict):
    """Service beyond the weekly plan: extended hours (延时), appointment-only (预约), staggered (错时)."""

    kind: Literal["extended", "appointment", "staggered"] = Field(description="What this extra service is.")
    days: list[Weekday] = Field(default_factory=list, description="Weekdays it applies to.")
    dates: list[date] = Field(default_factory=list, description="Specific dates it applies to.")
    periods: list[Period] = Field(description="The extra periods.")
    supervise_empty_post: bool = Field(
        True,
        description="Whether an empty post counts in these periods. Appointment-only service often "
        "leaves the window unstaffed between appointments: set false there.",
    )


class MarketDays(_Strict):
    """Township market days (赶集日), with hours of their own."""

    lunar_days: list[int] = Field(
        default_factory=list, description="Lunar days of the month, 1-30 (e.g. [1, 4, 7, 11, 14, 17, 21, 24, 27])."
    )
    solar_dates: list[date] = Field(default_factory=list, description="Explicit solar dates.")
    periods: list[Period] = Field(description="Service periods on a market day (replace the weekly plan).")
    include_holidays: bool = Field(False, description="Open on market days that fall on public holidays too.")

    @field_validator("lunar_days")
    @classmethod
    def _lunar_range(cls, days: list[int]) -> list[int]:
        bad = [d for d in days if not 1 <= d <= 30]
        if bad:
            raise invalid("lunar_day", "lunar days must be 1..30, got {bad}", bad=bad)
        return days


class HolidayPolicy(_Strict):
    use_prc_calendar: bool = Field(
        True, description="Close on PRC public holidays and open on adjusted working days (chinese-calendar)."
    )
    closed: list[date] = Field(default_factory=list, description="Extra closed dates (override).")
    workdays: list[date] = Field(
        default_factory=list, description="Extra adjusted working days (调休上班), served with the workday plan."
    )


class ScheduleConfig(_Strict):
    weekly: list[WeeklyPlan] = Field(description="The normal week.")
    extra: list[ExtraPeriods] = Field(default_factory=list, description="Extended/appointment/staggered periods.")
    market_days: MarketDays | None = Field(None, description="Township market days (赶集日).")
    holidays: HolidayPolicy = Field(default_factory=HolidayPolicy, description="Holiday handling.")
