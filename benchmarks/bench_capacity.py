"""Cameras per machine in real time: N copies of the demo camera at 2 analysed frames/s, paced to
the wall clock as live cameras deliver them, evidence on, for a fixed time; each camera's share
of the frames it should have had analysed.

    python -m benchmarks.bench_capacity [--cameras 16,20] [--seconds 60] [--detection-areas frame,zones]

A camera that falls behind is not dropped by the file source (it lags): the frames analysed in
the time are what a live camera would have got analysed. Two shares: from the start (start-up —
the detector, the recorders, the first frames — counts against it, as on a restarted machine)
and in steady state (after the first WARM_S). ``--detection-areas`` runs each setting side by
side (``camera.detection_area``).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time

from benchmarks.common import ROOT
from configs.loader import load_config
from ingest.pipeline import Pipeline
from streams.publisher import NullPublisher

RATE = 2.0
WARM_S = 15.0


def run(config_path: str, cameras: int, seconds: float, detection_area: str | None) -> tuple[list[float], list[float]]:
    """Each camera's share of its frames: from the start, and after WARM_S."""
    cfg = load_config(config_path)
    base = cfg.cameras[0]
    update: dict = {"analysis_fps": RATE}
    if detection_area is not None:
        update["detection_area"] = detection_area
    with tempfile.TemporaryDirectory() as evidence:
        cfg = cfg.model_copy(
            update={
                "cameras": [base.model_copy(update={**update, "id": f"{base.id}-{i}"}) for i in range(cameras)],
                "evidence": cfg.evidence.model_copy(update={"enabled": True, "root": evidence}),
                "metrics_port": 0,
            }
        )
        pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list, realtime=True)
        stop = threading.Event()
        thread = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
        started = time.monotonic()
        thread.start()
        stop.wait(WARM_S)
        warm_at = time.monotonic()
        warm = {camera_id: analysis.frames for camera_id, analysis in pipeline.analyses.items()}
        stop.wait(max(0.0, seconds - WARM_S))
        ended = time.monotonic()
        counts = {camera_id: analysis.frames for camera_id, analysis in pipeline.analyses.items()}
        stop.set()
        thread.join(timeout=60)
    missing = [0.0] * (cameras - len(counts))
    from_start = [min(1.0, n / ((ended - started) * RATE)) for n in counts.values()] + missing
    steady = [min(1.0, (n - warm.get(c, 0)) / ((ended - warm_at) * RATE)) for c, n in counts.items()] + missing
    return from_start, steady


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "configs" / "demo.yaml"))
    parser.add_argument("--cameras", default="16,20")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--detection-areas", default="", help="e.g. frame,zones (default: the config's)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all settings, alternating")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    areas: list[str | None] = [a for a in args.detection_areas.split(",") if a] or [None]  # type: ignore[misc]
    rounds = [(c, a) for _ in range(args.repeat) for c in [int(x) for x in args.cameras.split(",")] for a in areas]
    for cameras, area in rounds:
        from_start, steady = run(args.config, cameras, args.seconds, area)
        print(
            f"{cameras:3d} cameras at {RATE:g} fps, evidence on, detection area {area or 'default'}: frames "
            f"analysed per camera from the start min {min(from_start):.0%} median "
            f"{statistics.median(from_start):.0%}; after {WARM_S:g} s min {min(steady):.0%} median "
            f"{statistics.median(steady):.0%}, {sum(s >= 0.95 for s in steady)} of {cameras} at >= 95 %",
            flush=True,
        )


if __name__ == "__main__":
    main()
