"""Rule engine throughput: frames per second on one core with 50 people per frame.

    python -m benchmarks.bench_rules [--people 50] [--frames 3000]

Goal: >= 2,000 frames/s per core, so the rules never limit a camera.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from detectors.rules.engine import CameraRules, Observation  # noqa: E402
from tests.helpers import T0, hall_config, rect  # noqa: E402

ZONES = [
    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 250, 250)},
    {"id": "p2", "kind": "post", "window": "w2", "polygon": rect(300, 100, 450, 250)},
    {"id": "p3", "kind": "post", "window": "w3", "polygon": rect(500, 100, 650, 250)},
    {"id": "staff", "kind": "staff_area", "polygon": rect(0, 0, 1000, 400)},
    {"id": "front1", "kind": "service_area", "window": "w1", "polygon": rect(100, 300, 250, 420)},
    {"id": "front2", "kind": "service_area", "window": "w2", "polygon": rect(300, 300, 450, 420)},
    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 450, 1000, 1000)},
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--frames", type=int, default=3000)
    args = parser.parse_args()
    cfg = hall_config(ZONES, rules={"queue_crowding": {"max_in_queue": 30}})
    rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 10, size=(args.people, 2))
    observations = []
    for i in range(args.frames):
        pos = np.clip(pos + rng.normal(0, 0.05, size=pos.shape), 0, 10)
        # As the pipeline hands them over: arrays of ids, foot pixels and floor metres.
        arrays = (np.arange(args.people), pos * 100, pos.copy())
        observations.append(Observation(T0 + timedelta(seconds=i / 5), i + 1, (), arrays))
    start = time.perf_counter()
    events = 0
    for o in observations:
        events += len(rules.step(o))
    elapsed = time.perf_counter() - start
    print(f"rules: {args.frames / elapsed:,.0f} frames/s with {args.people} people and {len(ZONES)} zones "
          f"({elapsed / args.frames * 1e6:.0f} us/frame, {events} events)")


if __name__ == "__main__":
    main()
