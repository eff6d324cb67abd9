"""Service hours as concrete intervals: weekly plan, extra periods, PRC holidays, market days.

The State Council publishes next year's holiday arrangement each autumn and ``chinese-calendar``
lags behind it: for a year it does not know, the config's ``holidays.closed``/``workdays`` still
apply, a loud warning is logged once, and the weekly plan is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from lunar_python import Solar

from domain.schedule import WEEKDAYS, Period, ScheduleConfig, parse_hhmm

log = logging.getLogger(__name__)

FAR_PAST = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC"))


@dataclass(frozen=True)
class ServiceInterval:
    start: datetime
    end: datetime
    supervise_empty_post: bool = True
    kinds: tuple[str, ...] = ("regular",)

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


ALWAYS = ServiceInterval(FAR_PAST, FAR_FUTURE, True, ("always",))


@dataclass(frozen=True)
class DayInfo:
    kind: str  # workday | weekend | holiday | adjusted_workday
    holiday_name: str | None = None
    market_day: bool = False
    calendar_known: bool = True


class ServiceCalendar:
    """Concrete service intervals of one schedule, in one time zone."""

    def __init__(self, config: ScheduleConfig | None, tz: ZoneInfo, name: str = ""):
        self.config = config
        self.tz = tz
        self.name = name
        self._warned_years: set[int] = set()
        self._intervals = lru_cache(maxsize=64)(self._compute_intervals)
        # Frames come in order, usually inside the interval of the previous one: remember it as
        # POSIX seconds (comparing aware datetimes across time zones is slow).
        self._last: dict[bool, tuple[float, float, ServiceInterval]] = {}

    # -- what kind of day ---------------------------------------------------------------------
    def day_info(self, day: date) -> DayInfo:
        cfg = self.config
        weekend = day.weekday() >= 5
        market = self._is_market_day(day)
        if cfg is None:
            return DayInfo("workday", market_day=market)
        if day in cfg.holidays.closed:
            return DayInfo("holiday", "config", market)
        if day in cfg.holidays.workdays:
            return DayInfo("adjusted_workday", market_day=market)
        if cfg.holidays.use_prc_calendar:
            try:
                is_holiday, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:
                if day.year not in self._warned_years:
                    self._warned_years.add(day.year)
                    log.warning(
                        "schedule %r: chinese-calendar has no PRC holiday data for %d; using the weekly plan. "
                        "Add the State Council's arrangement to schedules.%s.holidays.closed/workdays.",
                        self.name,
                        day.year,
                        self.name,
                    )
                return DayInfo("weekend" if weekend else "workday", market_day=market, calendar_known=False)
            if is_holiday and name is not None:
                return DayInfo("holiday", name, market)
            if not is_holiday and weekend:
                return DayInfo("adjusted_workday", market_day=market)
        return DayInfo("weekend" if weekend else "workday", market_day=market)

    def _is_market_day(self, day: date) -> bool:
        market = self.config.market_days if self.config else None
        if market is None:
            return False
        if day in market.solar_dates:
            return True
        if market.lunar_days:
            return Solar.fromYmd(day.year, day.month, day.day).getLunar().getDay() in market.lunar_days
        return False

    # -- intervals ------------------------------------------------------------------------------
    def intervals_on(self, day: date) -> tuple[ServiceInterval, ...]:
        return self._intervals(day)

    def _compute_intervals(self, day: date) -> tuple[ServiceInterval, ...]:
        cfg = self.config
        if cfg is None:
            return (ALWAYS,)
        info = self.day_info(day)
        periods: list[tuple[Period, bool, str]] = []
        # An adjusted working day (调休上班) is served like a Monday, extras included.
        weekday = "mon" if info.kind == "adjusted_workday" else WEEKDAYS[day.weekday()]
        if info.market_day and cfg.market_days and (info.kind != "holiday" or cfg.market_days.include_holidays):
            periods += [(p, True, "market_day") for p in cfg.market_days.periods]
        elif info.kind != "holiday":
            for plan in cfg.weekly:
                if weekday in plan.days:
                    periods += [(p, True, "regular") for p in plan.periods]
        for extra in cfg.extra:
            by_date = day in extra.dates
            by_weekday = weekday in extra.days and info.kind != "holiday"
            if by_date or by_weekday:
                periods += [(p, extra.supervise_empty_post, extra.kind) for p in extra.periods]
        return tuple(_merge([self._interval(day, p, sup, kind) for p, sup, kind in periods]))

    def _interval(self, day: date, period: Period, supervise: bool, kind: str) -> ServiceInterval:
        start = datetime.combine(day, parse_hhmm(period.start), self.tz)
        end_time = parse_hhmm(period.end)
        end = (
            datetime.combine(day + timedelta(days=1), time(0), self.tz)
            if end_time == time.max
            else datetime.combine(day, end_time, self.tz)
        )
        return ServiceInterval(start, end, supervise, (kind,))

    def interval_at(self, t: datetime, empty_post: bool = False) -> ServiceInterval | None:
        """The service interval containing ``t``; for empty posts only those that supervise it."""
        ts = t.timestamp()
        last = self._last.get(empty_post)
        if last is not None and last[0] <= ts < last[1]:
            return last[2]
        local = t.astimezone(self.tz)
        for interval in self.intervals_on(local.date()):
            if interval.contains(t) and (interval.supervise_empty_post or not empty_post):
                self._last[empty_post] = (interval.start.timestamp(), interval.end.timestamp(), interval)
                return interval
        return None


def _merge(intervals: list[ServiceInterval]) -> list[ServiceInterval]:
    """Union of touching or overlapping intervals (an extended period right after closing time
    continues the same service), keeping whether any part supervises empty posts."""
    out: list[ServiceInterval] = []
    for iv in sorted(intervals, key=lambda i: i.start):
        if out and iv.start <= out[-1].end and iv.supervise_empty_post == out[-1].supervise_empty_post:
            last = out[-1]
            out[-1] = ServiceInterval(
                last.start,
                max(last.end, iv.end),
                last.supervise_empty_post,
                tuple(dict.fromkeys(last.kinds + iv.kinds)),
            )
        else:
            out.append(iv)
    return out
