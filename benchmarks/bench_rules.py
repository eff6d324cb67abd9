"""Rule engine throughput: frames per second on one core with 50 people per frame.

    python -m benchmarks.bench_rules [--people 50] [--frames 3000] [--rounds 3]

Goal: >= 2,000 frames/s per core, so the rules never limit a camera. It also measures, side by
side in one run (alternating rounds, best of each), what the attendance rules cost: the engine
with a schedule, late/early/absent reasons, citizen_waiting and the per-minute service meter,
against the same engine with citizen_waiting and the meter off and no schedule (target: the
new rules cost under 10 % of the frames/s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from detectors.rules.engine import CameraRules, Observation
from tests.helpers import T0, hall_config, rect

ZONES = [
    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 250, 250)},
    {"id": "p2", "kind": "post", "window": "w2", "polygon": rect(300, 100, 450, 250)},
    {"id": "p3", "kind": "post", "window": "w3", "polygon": rect(500, 100, 650, 250)},
    {"id": "staff", "kind": "staff_area", "polygon": rect(0, 0, 1000, 400)},
    {"id": "front1", "kind": "service_area", "window": "w1", "polygon": rect(100, 300, 250, 420)},
    {"id": "front2", "kind": "service_area", "window": "w2", "polygon": rect(300, 300, 450, 420)},
    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 450, 1000, 1000)},
]
SCHEDULE = {
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "periods": [["09:00", "09:04"], ["09:05", "09:10"]]}],
    "holidays": {"use_prc_calendar": False},
}


def observations(people: int, frames: int) -> list[Observation]:
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 10, size=(people, 2))
    out = []
    for i in range(frames):
        pos = np.clip(pos + rng.normal(0, 0.05, size=pos.shape), 0, 10)
        # As the pipeline hands them over: arrays of ids, foot pixels and floor metres.
        arrays = (np.arange(people), pos * 100, pos.copy())
        out.append(Observation(T0 + timedelta(seconds=i / 5), i + 1, (), arrays))
    return out


def engine(attendance: bool) -> CameraRules:
    rules = {"queue_crowding": {"max_in_queue": 30}, "citizen_waiting": {"enabled": attendance}}
    cfg = hall_config(ZONES, rules=rules, schedule=SCHEDULE if attendance else None)
    camera_rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    camera_rules.meter.enabled = attendance
    return camera_rules


def run(rules: CameraRules, obs: list[Observation]) -> tuple[float, int, int]:
    start = time.perf_counter()
    events = 0
    for o in obs:
        events += len(rules.step(o))
    elapsed = time.perf_counter() - start
    return len(obs) / elapsed, events, len(rules.measurements())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    obs = observations(args.people, args.frames)
    best = {False: 0.0, True: 0.0}
    counts = {}
    for _ in range(args.rounds):
        for attendance in (False, True):
            fps, events, minutes = run(engine(attendance), obs)
            best[attendance] = max(best[attendance], fps)
            counts[attendance] = (events, minutes)
    print(
        f"rules: {best[True]:,.0f} frames/s with {args.people} people and {len(ZONES)} zones "
        f"({1e6 / best[True]:.0f} us/frame, {counts[True][0]} events, {counts[True][1]} service minutes)"
    )
    print(
        f"  without the attendance rules (no schedule, no citizen_waiting, no service meter): "
        f"{best[False]:,.0f} frames/s ({counts[False][0]} events)"
    )
    cost = 1 - best[True] / best[False]
    print(
        f"  attendance rules cost: {cost:.1%} of the frames/s (target < 10 %; best of {args.rounds} alternating rounds)"
    )


if __name__ == "__main__":
    main()
