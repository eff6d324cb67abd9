"""Evidence cost: clip writing per violation, and its effect on the camera's analysed frame rate.

    python -m benchmarks.bench_evidence [--repeat 2]

The demo config on vtest.avi (no Kafka) runs with evidence off and on, interleaved; reports the
analysed frames/s of both (the ratio is the cost of buffering JPEG frames on the camera thread;
encoding runs on the writer thread and in ffmpeg) and the wall time per clip job (raw + annotated
H.264, snapshot, manifest).
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


def run(cfg) -> tuple[float, list[float]]:
    pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list)
    start = time.perf_counter()
    pipeline.run(threading.Event())
    elapsed = time.perf_counter() - start
    frames = sum(a.frames for a in pipeline.analyses.values())
    clips = [s for a in pipeline.analyses.values() if a.recorder for s in a.recorder.write_seconds]
    return frames / elapsed, clips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = load_config(ROOT / "configs" / "demo.yaml")
    off_fps, on_fps, clips = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            off = base.model_copy(update={"evidence": base.evidence.model_copy(update={"enabled": False}),
                                          "metrics_port": 0})
            on = base.model_copy(update={"evidence": base.evidence.model_copy(update={"root": tmp}),
                                         "metrics_port": 0})
            fps, _ = run(off)
            off_fps.append(fps)
            fps, written = run(on)
            on_fps.append(fps)
            clips += written
    print(f"analysed fps, evidence off: {max(off_fps):6.1f}")
    print(f"analysed fps, evidence on:  {max(on_fps):6.1f}   ratio {max(on_fps) / max(off_fps):.3f}")
    if clips:
        print(f"clip jobs: {len(clips)}, wall time per job median {statistics.median(clips):.2f} s, "
              f"max {max(clips):.2f} s (pre {base.evidence.pre_s:.0f} s + post {base.evidence.post_s:.0f} s, raw + annotated)")


if __name__ == "__main__":
    main()
