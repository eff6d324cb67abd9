"""The attendance report over a long range: built from every stored minute, against read back from
stored days (issue 24: a 92-day report over 160 windows took 2.7 s; three at once 8.8-10.9 s each).

    python -m benchmarks.bench_report [--halls 5] [--windows 8] [--days 92] [--repeat 3]

Fills a SQLite store with one post minute per window per minute of service (weekdays 08:30-12:00
and 13:30-17:30) and one empty-post alert per window a day, then times, side by side in one run:
the report built from the rows (``use_stored=False``), the first stored build (builds and stores
every day that is over), and the report read back from stored days.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

from alerts.attendance.source import load_report
from alerts.store.database import bulk_insert
from alerts.store.repositories import Repositories
from alerts.store.schema import Alert, PostMinuteRow
from benchmarks.common import ROOT  # noqa: F401  (puts the repository on sys.path)
from configs.loader import parse_config

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))


def config(halls: int, windows: int):
    return parse_config(
        {
            "timezone": "Asia/Shanghai",
            "regions": [
                {"id": "city", "name": "市", "level": "city"},
                {"id": "county", "name": "县", "level": "county", "parent": "city"},
                {"id": "town", "name": "乡", "level": "township", "parent": "county"},
            ],
            "schedules": {
                "week": {
                    "weekly": [
                        {
                            "days": ["mon", "tue", "wed", "thu", "fri"],
                            "periods": [["08:30", "12:00"], ["13:30", "17:30"]],
                        }
                    ],
                    "holidays": {"use_prc_calendar": False, "closed": []},
                }
            },
            "halls": [
                {
                    "id": f"h{h}",
                    "name": f"大厅{h}",
                    "region": "town",
                    "schedule": "week",
                    "windows": [{"id": f"w{w}"} for w in range(windows)],
                }
                for h in range(halls)
            ],  # fmt: skip
            "cameras": [],
        }
    )


def fill(repos: Repositories, cfg, first: date, days: int) -> int:
    rows = 0
    for d in range(days):
        day = first + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        minutes, alerts = [], []
        for hall in cfg.halls:
            for window in hall.windows:
                for start, end in PERIODS:
                    for m in range(start, end):
                        t = datetime.combine(day, datetime.min.time(), TZ) + timedelta(minutes=m)
                        staffed = 0.0 if start + 20 <= m < start + 35 else 60.0
                        minutes.append(
                            {"camera_id": f"c-{hall.id}", "window_id": window.id, "minute": t, "hall_id": hall.id,
                             "observed_s": 60.0, "staffed_s": staffed, "first_in": t if staffed else None,
                             "last_in": t + timedelta(seconds=59) if staffed else None}
                        )  # fmt: skip
                began = datetime.combine(day, datetime.min.time(), TZ) + timedelta(minutes=PERIODS[0][0] + 20)
                alerts.append(
                    {"event_id": str(uuid.uuid4()), "type": "empty_post", "reason": "left_post", "hall_id": hall.id,
                     "region_id": "town", "region_path": "/city/county/town/", "level": "township",
                     "camera_id": f"c-{hall.id}", "zone_id": f"{window.id}-post", "window_id": window.id,
                     "started_at": began, "ended_at": began + timedelta(minutes=15), "duration_s": 900.0,
                     "event_status": "closed", "closed_reason": "returned", "payload": {}, "lifecycle": "new",
                     "escalations": 0, "received_at": began, "updated_at": began}
                )  # fmt: skip
        with repos.db.session() as session:
            bulk_insert(session, PostMinuteRow.__table__, minutes)  # type: ignore[arg-type]
            bulk_insert(session, Alert.__table__, alerts)  # type: ignore[arg-type]
        rows += len(minutes)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--halls", type=int, default=5)
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cfg = config(args.halls, args.windows)
    with tempfile.TemporaryDirectory() as tmp:
        repos = Repositories.open(f"sqlite:///{Path(tmp) / 'alerts.db'}")
        end = datetime.now(TZ).date() - timedelta(days=1)
        start = end - timedelta(days=args.days - 1)
        t = time.perf_counter()
        rows = fill(repos, cfg, start, args.days)
        print(
            f"{args.halls * args.windows} windows, {args.days} days: {rows:,} post minutes ({time.perf_counter() - t:.1f} s to fill)"
        )
        halls = list(cfg.halls)

        def timed(stored: bool) -> float:
            t0 = time.perf_counter()
            load_report(cfg, repos, halls, start, end, use_stored=stored)
            return time.perf_counter() - t0

        first_stored = timed(True)  # builds every day and stores it
        built, read_back = [], []
        for _ in range(args.repeat):  # side by side, alternating
            built.append(timed(False))
            read_back.append(timed(True))
        b, r = median(built), median(read_back)
        print(f"built from the rows:      median {b:.3f} s of {args.repeat}  ({', '.join(f'{x:.3f}' for x in built)})")
        print(f"first build, storing:     {first_stored:.3f} s")
        print(
            f"read back from stored:    median {r:.3f} s of {args.repeat}  ({', '.join(f'{x:.3f}' for x in read_back)})"
        )
        print(f"stored ÷ built: {r / b:.3f}")


if __name__ == "__main__":
    main()
