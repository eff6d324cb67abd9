"""Small builders for hand-made configs and tracks (1 image pixel = 1 cm on the floor)."""

from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from configs.loader import parse_config
from configs.model import HallwatchConfig
from detectors.rules.engine import Observation, Person

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday, inside service hours


def rect(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def hall_config(
    zones: list[dict], rules: dict | None = None, schedule: dict | None = None, source: str = "mot:tracks.txt", **camera
) -> HallwatchConfig:
    data = {
        "timezone": "Asia/Shanghai",
        "regions": [
            {"id": "city", "name": "市", "level": "city"},
            {"id": "county", "name": "县", "level": "county", "parent": "city"},
            {"id": "town", "name": "乡", "level": "township", "parent": "county"},
        ],
        "halls": [
            {
                "id": "hall",
                "name": "大厅",
                "region": "town",
                "windows": [{"id": "w1"}, {"id": "w2"}, {"id": "w3"}],
                **({"schedule": "s"} if schedule else {}),
            }
        ],
        "schedules": {"s": schedule} if schedule else {},
        "cameras": [
            {
                "id": "cam",
                "hall": "hall",
                "source": source,
                "frame_size": [1000, 1000],
                "source_fps": 5,
                "analysis_fps": 5,
                "start_time": T0.isoformat(),
                "calibration": {"image": rect(0, 0, 1000, 1000), "floor": rect(0, 0, 10, 10)},
                "zones": zones,
                **camera,
            }
        ],
        "rules": rules or {},
    }
    return parse_config(data)


def person(track_id: int, x_m: float, y_m: float, detected: bool = True) -> Person:
    """A person standing at floor (x, y) metres; the foot pixel follows the 1 px = 1 cm camera."""
    return Person(track_id, (x_m * 100, y_m * 100), (x_m, y_m), detected)


def obs(seconds: float, *people: Person, t0: datetime = T0) -> Observation:
    return Observation(t0 + timedelta(seconds=seconds), int(round(seconds * 5)) + 1, tuple(people))


def write_mot(path: Path, rows: list[tuple[int, int, float, float]], box_h: float = 170.0) -> Path:
    """MOT lines for people whose foot points are (x_px, y_px) at 1-based frames."""
    with path.open("w") as f:
        for frame, track_id, x, y in rows:
            f.write(f"{frame},{track_id},{x - 25:.1f},{y - box_h:.1f},50,{box_h:.1f},1,-1,-1,-1\n")
    return path


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_in_page(page, expression: str, timeout_ms: float = 30_000) -> None:
    """Poll a JavaScript expression in a Playwright page until it is truthy. Playwright's own
    ``wait_for_function`` polls with eval inside the page, which the console's
    Content-Security-Policy rightly refuses; ``evaluate`` runs from the driver."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting in the page for {expression}")


@functools.cache
def password_hash(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def add_users(app, users: dict[str, tuple[str, ...]], password: str) -> None:
    """Console users as ``python -m alerts.users add`` stores them (name: (role, region[, display
    name[, hall]])), with the
    password hashed once per test run: an argon2 hash costs ~0.15 s and fixtures add users for
    every test; every login still verifies it for real (``Users.add`` has tests of its own)."""
    from alerts.store.schema import User

    with app.state.ctx.repos.db.session() as db:
        for name, (role, region, *more) in users.items():
            display, hall = (more[0] if more else ""), (more[1] if len(more) > 1 else None)
            db.add(User(username=name, password_hash=password_hash(password), role=role, region_id=region,
                        display_name=display, disabled=False, hall_id=hall))  # fmt: skip
