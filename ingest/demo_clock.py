"""The demo's clocks. ``make demo`` plays the footage live, at the present moment: every pass starts
now, so a violation, its acknowledgement, its review and the 督办单's signature carry one clock and
no decision is dated before its event. For that the demo hall's hours must cover the present
whenever the demo runs: ``--live-config`` writes a copy of the config whose demo hall serves around
the clock (its own schedule, market days and holidays stay in the committed config for the tests).

    python -m ingest.demo_clock --config configs/demo.yaml --live-config var/demo/live.yaml \
        [--scripted-start 2026-03-02T09:01:00+08:00 --scripted-cycles 6]
    python -m ingest.demo_clock --next-minute                          # a whole minute, 5 s or more ahead
    python -m ingest.demo_clock --config var/demo/live.yaml --now      # a pass's start: now
    python -m ingest.demo_clock --config configs/demo.yaml --pass N    # replay: 09:00 (+2 min a pass)
                                                                       # on the hall's latest service day
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from configs.loader import load_or_exit
from domain.service_calendar import ServiceCalendar
from ingest import scripted_hall, ticket_simulator

OPENING = time(9, 0)


def service_day(calendar: ServiceCalendar, today: date, tz: ZoneInfo) -> date:
    """The latest day up to ``today`` with service at 09:00 (a week back at most)."""
    for back in range(8):
        day = today - timedelta(days=back)
        if calendar.interval_at(datetime.combine(day, OPENING, tz), empty_post=True) is not None:
            return day
    return today


LIVE_SCHEDULE = "demo-live"


def live_config(
    source: Path, target: Path, scripted: datetime | None = None, cycles: int = 6, camera_url: str | None = None
) -> None:
    """``source`` with every hall on a schedule open around the clock, every day; with ``scripted``,
    also the scripted hall (``ingest.scripted_hall``) whose cycles start then, on its own schedule.
    Beside ``target``: ``*-footage.yaml`` (the real footage's cameras only) and ``*-scripted.yaml``
    (the scripted camera only, its metrics on the next port) for the demo's two pipelines. With
    ``camera_url``, the footage's first camera is that live stream (``scripts/rtsp_camera.py``
    serving the footage): recorded for video on request, its clock the wall clock."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if camera_url is not None:
        data["cameras"][0]["source"] = camera_url
        data["cameras"][0].pop("start_time", None)
    data.setdefault("schedules", {})[LIVE_SCHEDULE] = {
        "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "periods": [["00:00", "24:00"]]}],
        "holidays": {"use_prc_calendar": False, "closed": []},
    }
    for hall in data.get("halls", []):
        hall["schedule"] = LIVE_SCHEDULE
    footage = [c["id"] for c in data.get("cameras", [])]
    if scripted is not None:
        region = data["halls"][0]["region"]
        sections = scripted_hall.write(target.parent / "scripted", scripted, cycles, region)
        data["halls"].append(sections["hall"])
        data["schedules"][scripted_hall.HALL_ID] = sections["schedule"]
        data["cameras"].append(sections["camera"])
        data.setdefault("rosters", []).extend(sections["rosters"])
        # Its queue-ticket and rating system (ingest.ticket_simulator); the token from the environment.
        data.setdefault("integrations", []).append(
            {"id": ticket_simulator.INTEGRATION, "halls": [scripted_hall.HALL_ID, data["cameras"][0]["hall"]]}
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Written by python -m ingest.demo_clock --live-config: the demo hall open around the clock,\n"
        "# so the footage plays at the present moment. Edit configs/demo.yaml instead.\n"
    )
    target.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if scripted is None:
        return
    for suffix, keep, port in (("footage", footage, None), ("scripted", [scripted_hall.CAMERA_ID], 1)):
        part = {**data, "cameras": [c for c in data["cameras"] if c["id"] in keep]}
        if port:
            part["metrics_port"] = int(data.get("metrics_port", 9108)) + port
        path = target.with_name(f"{target.stem}-{suffix}.yaml")
        path.write_text(header + yaml.safe_dump(part, allow_unicode=True, sort_keys=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.demo_clock", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--pass", dest="index", type=int, default=0)
    parser.add_argument("--day", action="store_true", help="print only the day (for the demo's banner)")
    parser.add_argument("--now", action="store_true", help="print the present moment in the halls' time zone")
    parser.add_argument("--live-config", type=Path, help="write the config with its halls open around the clock")
    parser.add_argument("--scripted-start", help="with --live-config: add the scripted hall, its cycles from then")
    parser.add_argument("--scripted-cycles", type=int, default=6)
    parser.add_argument("--next-minute", action="store_true", help="print the next whole minute at least 5 s ahead")
    parser.add_argument("--camera-url", help="with --live-config: the footage's camera is this live stream")
    args = parser.parse_args(argv)
    if args.live_config:
        start = datetime.fromisoformat(args.scripted_start) if args.scripted_start else None
        live_config(Path(args.config), args.live_config, start, args.scripted_cycles, args.camera_url)
        load_or_exit(str(args.live_config))  # what was written is a valid config
        return
    cfg = load_or_exit(args.config)
    tz = ZoneInfo(cfg.timezone)
    if args.now:
        print(datetime.now(tz).replace(microsecond=0).isoformat())
        return
    if args.next_minute:
        print((datetime.now(tz) + timedelta(seconds=65)).replace(second=0, microsecond=0).isoformat())
        return
    hall = cfg.halls[0]
    calendar = ServiceCalendar(cfg.schedules.get(hall.schedule) if hall.schedule else None, tz, hall.schedule or "")
    day = service_day(calendar, datetime.now(tz).date(), tz)
    if args.day:
        print(day.isoformat())
        return
    print((datetime.combine(day, OPENING, tz) + timedelta(minutes=2 * args.index)).isoformat())


if __name__ == "__main__":
    main()
