"""The demo's media clock: each pass of the footage plays as 09:00 (+2 minutes per pass) on the
most recent day the demo hall serves, so alerts, the attendance report (考勤报表) and the
dashboards show today's work on a working day, and the last working day's on a weekend or
holiday (print that day: the report's date to pick).

    python -m ingest.demo_clock --config configs/demo.yaml --pass N
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from configs.loader import load_or_exit
from domain.service_calendar import ServiceCalendar

OPENING = time(9, 0)


def service_day(calendar: ServiceCalendar, today: date, tz: ZoneInfo) -> date:
    """The latest day up to ``today`` with service at 09:00 (a week back at most)."""
    for back in range(8):
        day = today - timedelta(days=back)
        if calendar.interval_at(datetime.combine(day, OPENING, tz), empty_post=True) is not None:
            return day
    return today


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.demo_clock", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--pass", dest="index", type=int, default=0)
    parser.add_argument("--day", action="store_true", help="print only the day (for the demo's banner)")
    args = parser.parse_args(argv)
    cfg = load_or_exit(args.config)
    tz = ZoneInfo(cfg.timezone)
    hall = cfg.halls[0]
    calendar = ServiceCalendar(cfg.schedules.get(hall.schedule) if hall.schedule else None, tz, hall.schedule or "")
    day = service_day(calendar, datetime.now(tz).date(), tz)
    if args.day:
        print(day.isoformat())
        return
    print((datetime.combine(day, OPENING, tz) + timedelta(minutes=2 * args.index)).isoformat())


if __name__ == "__main__":
    main()
