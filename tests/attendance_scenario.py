"""The synthetic hall of ``tests/scenario.py`` with a schedule: staff arriving late, leaving early,
never coming back after lunch, citizens left waiting at an empty window, and two people who queue
before being served, with the expected events and report numbers read off the actors' clean paths.

Service periods (a short day, so the scenario stays 15 minutes): 09:00-09:05 and, after a
"lunch break", 09:07-09:13. The scenario starts at 08:59:00 so the first period start is seen.

Expected events come from plain geometry over the whole paths (runs of frames where a post is
empty, compared with the period bounds), not from the streaming rule engine; every duration in
the script is far from the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from configs.loader import parse_config
from configs.model import HallwatchConfig
from tests import scenario
from tests.helpers import T0
from tests.scenario import FPS, FRONTS, POSTS, QUEUE, Actor, Expected, in_rect, post_centre

START = T0 - timedelta(minutes=1)  # 08:59:00
PERIODS_S = [(60.0, 360.0), (480.0, 840.0)]  # seconds after START: 09:00-09:05, 09:07-09:13
RULES = {
    **scenario.RULES,
    "empty_post": {"after_s": 180, "return_s": 5, "late_after_s": 60, "early_before_s": 60},
    "citizen_waiting": {"wait_s": 30, "clear_s": 5},
}
SCHEDULE = {
    "day": {
        "weekly": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "periods": [["09:00", "09:05"], ["09:07", "09:13"]],
            }
        ],
        "holidays": {"use_prc_calendar": False},
    }
}
BACK_OFFICE = {0: (1.0, -1.5), 1: (4.5, -1.5), 2: (7.5, -1.5)}
# 排班: window 0 all day; window 1 the morning period only; window 2 nobody rostered.
ROSTERS = [
    {"hall": "sim-hall", "window": "w0", "person": "张三"},
    {"hall": "sim-hall", "window": "w1", "person": "李四", "periods": [["09:00", "09:05"]]},
]


def build_actors() -> list[Actor]:
    a, b, c = post_centre(0), post_centre(1), post_centre(2)
    return [
        # Window 0: arrives at 09:01:30 (late), leaves at 09:11:30, 90 s before closing (early).
        Actor("clerk_a", [(0, *BACK_OFFICE[0]), (150, *a), (750, *BACK_OFFICE[0])]),
        # Window 1: leaves at 09:01:00 and is still away at 09:05 (left post, then early leave);
        # back during the break.
        Actor("clerk_b", [(0, *b), (120, *BACK_OFFICE[1]), (420, *b)]),
        # Window 2: goes to lunch at 09:05:10 and never comes back (absent all afternoon).
        Actor("clerk_c", [(0, *c), (370, *BACK_OFFICE[2])]),
        # A citizen stands at window 2 from 09:08 to 09:09 with nobody there.
        Actor("citizen_c", [(0, 9.6, 2.2), (540, 7.25, 2.2), (600, 9.6, 2.2)]),
        # Two people queue, then are served at windows 0 and 1 (clerks present).
        Actor("queuer_0", [(0, 9.6, 8.8), (200, 1.5, 4.0), (260, 1.25, 2.2), (290, 9.6, 8.8)]),
        Actor("queuer_1", [(0, 9.6, 8.0), (500, 4.5, 5.0), (560, 4.25, 2.2), (600, 9.6, 8.0)]),
    ]


def config(start: datetime = START) -> HallwatchConfig:
    raw = scenario.config(start).model_dump(mode="json", exclude_none=True)
    raw["rules"] = RULES
    raw["schedules"] = SCHEDULE
    raw["halls"][0]["schedule"] = "day"
    raw["halls"][0]["windows"] = [{"id": f"w{i}", "name": f"{i + 1}号窗口"} for i in range(3)]
    raw["rosters"] = ROSTERS
    return parse_config(raw)


# -- expectations from the clean paths -------------------------------------------------------------
@dataclass(frozen=True)
class ExpectedReason(Expected):
    reason: str = ""


def _mask(actors: list[Actor], rect) -> np.ndarray:
    return np.array([[in_rect(p, rect) for p in a.positions] for a in actors]).any(axis=0)


def _runs_s(mask: np.ndarray) -> list[tuple[float, float]]:
    """(first frame's time, time of the first frame after the run) of each run of True."""
    return [(first / FPS, (last + 1) / FPS) for first, last in scenario._runs(mask)]


def in_service(n: int) -> np.ndarray:
    t = np.arange(n) / FPS
    return np.any([(t >= a) & (t < b) for a, b in PERIODS_S], axis=0)


def expected_events(actors: list[Actor]) -> list[ExpectedReason]:
    rule = RULES["empty_post"]
    out: list[ExpectedReason] = []
    for i in range(3):
        empty = ~_mask(actors, POSTS[f"p{i}"])
        for run_start, run_end in _runs_s(empty):
            for ps, pe in PERIODS_S:
                start, end = max(run_start, ps), min(run_end, pe)
                if start >= end:
                    continue
                if run_start <= ps and run_end - ps >= rule["late_after_s"]:
                    reason = "absent" if run_end >= pe else "late_arrival"
                    out.append(ExpectedReason("empty_post", f"p{i}", ps, end, reason))
                elif run_start > ps and run_end >= pe and pe - start >= rule["early_before_s"]:
                    out.append(ExpectedReason("empty_post", f"p{i}", start, pe, "early_leave"))
                elif run_start > ps and end - start >= rule["after_s"]:
                    out.append(ExpectedReason("empty_post", f"p{i}", start, end, "left_post"))
    service = in_service(len(actors[0].positions))
    for i in range(3):
        waiting = _mask(actors, FRONTS[f"front{i}"]) & ~_mask(actors, POSTS[f"p{i}"]) & service
        for first, last in scenario._runs(waiting):
            if (last - first) / FPS >= RULES["citizen_waiting"]["wait_s"]:
                out.append(ExpectedReason("citizen_waiting", f"front{i}", first / FPS, last / FPS, "unattended"))
    return sorted(out, key=lambda e: (e.start_s, e.zone_id))


def expected_waits(actors: list[Actor]) -> dict[str, float]:
    """Window id -> seconds from the first frame in the queue to the first in its service area."""
    out = {}
    for actor in actors:
        queued = [k for k, p in enumerate(actor.positions) if in_rect(p, QUEUE[1])]
        for i in range(3):
            served = [k for k, p in enumerate(actor.positions) if in_rect(p, FRONTS[f"front{i}"])]
            if queued and served and queued[0] < served[0]:
                out[f"w{i}"] = (served[0] - queued[0]) / FPS
    return out


def staffed_seconds(actors: list[Actor], window: int, span: tuple[float, float]) -> float:
    """Seconds someone is at window ``window``'s post within ``span`` (each frame counts 1/FPS)."""
    t = np.arange(len(actors[0].positions)) / FPS
    inside = (t >= span[0]) & (t < span[1])
    return float((_mask(actors, POSTS[f"p{window}"]) & inside).sum() / FPS)


def first_last_in(actors: list[Actor], window: int, span: tuple[float, float]) -> tuple[float | None, float | None]:
    t = np.arange(len(actors[0].positions)) / FPS
    hits = t[_mask(actors, POSTS[f"p{window}"]) & (t >= span[0]) & (t < span[1])]
    return (float(hits[0]), float(hits[-1])) if len(hits) else (None, None)


# -- the scenario through the alerting service -------------------------------------------------------
def alert_service(actors: list[Actor], tmp: Path):
    """The clean tracks through the camera analysis, its violations and service minutes handed
    to an alerting service (SQLite in ``tmp``), and its API app. Returns (service, app)."""
    from alerts.api import create_app
    from alerts.consumer import Received
    from alerts.service import AlertService
    from ingest.analysis import CameraAnalysis
    from streams.wire import encode
    from tests.alert_fixtures import received

    raw = config().model_dump(mode="json", exclude_none=True)
    raw["alerts"] = {"secure_cookies": False}
    raw["regions"].append({"id": "k2", "name": "另一县", "level": "county", "parent": "c"})
    cfg = parse_config(raw)
    violations, minutes = [], []
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=violations.append, emit_minute=minutes.append)
    for frame in scenario.clean_frames(actors, START):
        analysis.process(frame)
    analysis.finish()
    service = AlertService.open(cfg, f"sqlite:///{tmp / 'alerts.db'}")
    batch = [received(encode(v), i) for i, v in enumerate(violations)]
    batch += [Received("hallwatch.service-minutes", m.hall_id, 1, i, minute=m) for i, m in enumerate(minutes)]
    rejected = service.handle(batch)
    assert rejected == [], rejected
    return service, create_app(service)
