"""Service hours: weekly plan and breaks, extended/appointment periods, PRC holidays and adjusted
working days, config overrides, unknown years, lunar market days."""

from __future__ import annotations

import logging
from datetime import date, datetime

from domain.schedule import ScheduleConfig
from domain.service_calendar import ServiceCalendar
from tests.helpers import TZ

TOWNSHIP = {
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "periods": [["08:30", "12:00"], ["13:30", "17:30"]]}],
    "extra": [
        {"kind": "extended", "days": ["wed"], "periods": [["17:30", "19:00"]]},
        {"kind": "appointment", "days": ["sat"], "periods": [["09:00", "12:00"]], "supervise_empty_post": False},
    ],
    "market_days": {
        "lunar_days": [1, 4, 7, 11, 14, 17, 21, 24, 27],
        "periods": [["07:30", "12:00"], ["13:00", "17:30"]],
    },
}


def calendar(**overrides) -> ServiceCalendar:
    return ServiceCalendar(ScheduleConfig.model_validate({**TOWNSHIP, **overrides}), TZ, "township")


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


def spans(cal: ServiceCalendar, day: date) -> list[tuple[str, str]]:
    return [(i.start.strftime("%H:%M"), i.end.strftime("%H:%M")) for i in cal.intervals_on(day)]


def test_weekday_with_lunch_break():
    cal = calendar(market_days=None)
    monday = date(2026, 3, 2)
    assert spans(cal, monday) == [("08:30", "12:00"), ("13:30", "17:30")]
    assert cal.interval_at(at(monday, "08:29")) is None
    assert cal.interval_at(at(monday, "08:30")) is not None
    assert cal.interval_at(at(monday, "12:00")) is None  # end is exclusive: lunch starts
    assert cal.interval_at(at(monday, "13:30")) is not None


def test_extended_hours_continue_the_afternoon_without_a_break():
    wednesday = date(2026, 3, 4)
    assert spans(calendar(market_days=None), wednesday) == [("08:30", "12:00"), ("13:30", "19:00")]


def test_appointment_periods_count_for_other_rules_but_not_empty_posts():
    cal = calendar(market_days=None)
    saturday = date(2026, 3, 7)
    assert cal.interval_at(at(saturday, "10:00")) is not None
    assert cal.interval_at(at(saturday, "10:00"), empty_post=True) is None
    assert cal.interval_at(at(date(2026, 3, 8), "10:00")) is None  # Sunday: closed


def test_prc_public_holiday_closes_and_adjusted_workday_opens():
    cal = calendar(market_days=None)
    assert cal.day_info(date(2026, 10, 1)).kind == "holiday"
    assert spans(cal, date(2026, 10, 1)) == []
    saturday_workday = date(2026, 10, 10)  # 调休上班 after National Day
    assert cal.day_info(saturday_workday).kind == "adjusted_workday"
    assert spans(cal, saturday_workday) == [("08:30", "12:00"), ("13:30", "17:30")]


def test_config_overrides_for_a_year_the_package_does_not_know(caplog):
    cal = calendar(market_days=None, holidays={"closed": ["2027-01-01"], "workdays": ["2027-01-09"]})
    assert spans(cal, date(2027, 1, 1)) == []  # Friday, closed by the config
    assert spans(cal, date(2027, 1, 9)) == [("08:30", "12:00"), ("13:30", "17:30")]  # Saturday, worked
    with caplog.at_level(logging.WARNING):
        assert spans(cal, date(2027, 1, 4)) == [("08:30", "12:00"), ("13:30", "17:30")]  # weekly plan
        cal.intervals_on(date(2027, 1, 5))
    warnings = [r for r in caplog.records if "no PRC holiday data for 2027" in r.getMessage()]
    assert len(warnings) == 1  # loud, but once per year


def test_lunar_market_days_have_their_own_hours():
    cal = calendar()
    market_day = date(2026, 3, 2)  # lunar 1st month, 14th day
    not_market_day = date(2026, 3, 3)  # 15th
    assert cal.day_info(market_day).market_day and not cal.day_info(not_market_day).market_day
    assert spans(cal, market_day) == [("07:30", "12:00"), ("13:00", "17:30")]
    assert spans(cal, not_market_day) == [("08:30", "12:00"), ("13:30", "17:30")]


def test_market_days_by_solar_date_and_holiday_handling():
    cal = calendar(market_days={"solar_dates": ["2026-10-02"], "periods": [["07:00", "11:00"]]})
    assert spans(cal, date(2026, 10, 2)) == []  # a public holiday wins by default
    cal = calendar(
        market_days={"solar_dates": ["2026-10-02"], "periods": [["07:00", "11:00"]], "include_holidays": True}
    )
    assert spans(cal, date(2026, 10, 2)) == [("07:00", "11:00")]


def test_no_schedule_means_always_in_service():
    cal = ServiceCalendar(None, TZ)
    assert cal.interval_at(at(date(2026, 10, 1), "03:00"), empty_post=True) is not None


def test_the_demo_plays_on_the_halls_most_recent_service_day():
    """make demo's media clock: today on a working day, the last service day otherwise."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from domain.schedule import ScheduleConfig
    from domain.service_calendar import ServiceCalendar
    from ingest.demo_clock import service_day

    tz = ZoneInfo("Asia/Shanghai")
    week = ScheduleConfig.model_validate(
        {
            "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "periods": [["08:30", "12:00"]]}],
            "holidays": {"use_prc_calendar": False, "closed": ["2026-03-06"]},
        }
    )
    calendar = ServiceCalendar(week, tz, "week")
    assert service_day(calendar, date(2026, 3, 2), tz) == date(2026, 3, 2)  # a Monday
    assert service_day(calendar, date(2026, 3, 8), tz) == date(2026, 3, 5)  # Sunday; Friday the 6th closed


def test_the_live_demo_hall_is_open_whenever_the_demo_runs(tmp_path):
    """make demo plays the footage at the present moment (one clock for violations and decisions,
    issue 25): its copy of the config opens the demo hall around the clock, holidays included."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from configs.loader import load_config
    from domain.service_calendar import ServiceCalendar
    from ingest.demo_clock import live_config
    from tests.conftest import ROOT

    live_config(ROOT / "configs" / "demo.yaml", tmp_path / "live.yaml")
    cfg = load_config(str(tmp_path / "live.yaml"))
    tz = ZoneInfo(cfg.timezone)
    hall = cfg.halls[0]
    calendar = ServiceCalendar(cfg.schedules[hall.schedule], tz, hall.schedule)
    for moment in ("2026-10-01T03:00", "2026-03-08T23:59", "2026-12-07T12:15", "2027-02-17T00:00"):  # holidays, Sunday
        assert calendar.interval_at(datetime.fromisoformat(moment).replace(tzinfo=tz), empty_post=True) is not None
    assert cfg.cameras == load_config(str(ROOT / "configs" / "demo.yaml")).cameras  # the same cameras and zones
