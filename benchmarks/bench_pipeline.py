"""The whole pipeline against the bare detector, and how many cameras one machine sustains.

    python -m benchmarks.bench_pipeline [--cameras 1,2,4]

1. bare detector loop: decode the sampled vtest.avi frames (analysis_fps 5) and run the offline
   detector on each, nothing else;
2. the whole pipeline (ingest, detector, tracker, floor mapping, rules, events; no Kafka, no
   evidence: see bench_evidence) on the demo config; goal: throughput ratio >= 0.9;
3. N cameras on the same file in one process at once: aggregate analysed frames/s, and so the
   cameras this machine sustains at analysis_fps 2.
"""

from __future__ import annotations

import argparse
import threading
import time
from zoneinfo import ZoneInfo

from benchmarks.common import ROOT
from configs.loader import load_config
from detectors.factory import build_detector
from ingest.pipeline import Pipeline
from ingest.sources import SourceStats, VideoFileSource, media_origin
from streams.publisher import NullPublisher


def bare_detector(cfg, detector) -> tuple[int, float]:
    camera = cfg.cameras[0]
    source = VideoFileSource(camera, media_origin(camera, None, ZoneInfo(cfg.timezone)), SourceStats())
    n, start = 0, time.perf_counter()
    for frame in source.frames():
        detector.detect([frame.image])
        n += 1
    return n, time.perf_counter() - start


def whole_pipeline(cfg, cameras: int = 1) -> tuple[int, float]:
    if cameras > 1:
        base = cfg.cameras[0]
        cfg = cfg.model_copy(
            update={"cameras": [base.model_copy(update={"id": f"{base.id}-{i}"}) for i in range(cameras)]}
        )
    pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list)
    start = time.perf_counter()
    pipeline.run(threading.Event())
    return sum(a.frames for a in pipeline.analyses.values()), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "configs" / "demo.yaml"))
    parser.add_argument("--cameras", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    cfg = load_config(args.config)
    # Detection, tracking, floor mapping, rules and events; evidence recording has its own
    # benchmark (bench_evidence), and the demo's short thresholds make clips unusually dense.
    cfg = cfg.model_copy(update={"evidence": cfg.evidence.model_copy(update={"enabled": False}), "metrics_port": 0})
    detector = build_detector(cfg.detector)
    print(f"detector: {detector.name}")
    bare, whole = [], []
    for _ in range(args.repeat):  # interleaved runs
        n, t = bare_detector(cfg, detector)
        bare.append(n / t)
        n, t = whole_pipeline(cfg)
        whole.append(n / t)
    print(f"bare detector loop:  {max(bare):6.1f} frames/s")
    print(f"whole pipeline:      {max(whole):6.1f} frames/s   ratio {max(whole) / max(bare):.3f} (goal >= 0.9)")
    for k in [int(x) for x in args.cameras.split(",")]:
        n, t = whole_pipeline(cfg, k)
        print(
            f"{k} camera(s) at once: {n / t:6.1f} analysed frames/s in all -> {n / t / 2:.1f} cameras at analysis_fps 2"
        )


if __name__ == "__main__":
    main()
