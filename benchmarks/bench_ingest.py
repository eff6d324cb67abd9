"""Ingest cost on vtest.avi, side by side in one run.

    python -m benchmarks.bench_ingest [--repeat 3]

1. bare OpenCV decode loop (cap.read() on every frame) vs the ingest stage decoding every frame
   (VideoFileSource at analysis_fps >= the file's rate): goal ratio >= 0.95;
2. the ingest stage at analysis_fps 5 (grab() skipped frames, decode only the sampled ones) vs
   the same with read() on every frame: what grab() saves.
"""

from __future__ import annotations

import argparse
import time
from zoneinfo import ZoneInfo

import cv2

from benchmarks.common import VTEST
from configs.model import Camera
from ingest.sources import SourceStats, VideoFileSource, media_origin

TZ = ZoneInfo("Asia/Shanghai")


def bare_read(sample_every: int = 1) -> tuple[int, float]:
    cap = cv2.VideoCapture(str(VTEST))
    n, start = 0, time.perf_counter()
    i = 0
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        if i % sample_every == 0:
            n += 1
        i += 1
    cap.release()
    return i, time.perf_counter() - start


def ingest(analysis_fps: float) -> tuple[int, int, float]:
    camera = Camera(id="b", hall="h", source=str(VTEST), source_fps=7, analysis_fps=analysis_fps)
    stats = SourceStats()
    source = VideoFileSource(camera, media_origin(camera, None, TZ), stats)
    start = time.perf_counter()
    analysed = sum(1 for _ in source.frames())
    return stats.frames_in, analysed, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeat):  # interleaved, so drifting machine load hits both sides
        frames, t_bare = bare_read()
        frames_in, _, t_ingest_all = ingest(analysis_fps=7)  # the source's rate: every frame
        _, analysed, t_ingest_5 = ingest(analysis_fps=5)
        rows.append((frames / t_bare, frames_in / t_ingest_all, frames_in / t_ingest_5, analysed))
    best = [max(r[i] for r in rows) for i in range(3)]
    print(f"vtest.avi: {frames} frames")
    print(f"bare cv2 read() loop:               {best[0]:8.0f} frames/s")
    print(f"ingest, every frame decoded:        {best[1]:8.0f} frames/s   ratio {best[1] / best[0]:.3f} (goal >= 0.95)")
    print(
        f"ingest at 5 fps (grab + retrieve):  {best[2]:8.0f} frames/s in, {rows[0][3]} analysed   "
        f"speed-up over read() {best[2] / best[0]:.2f}x"
    )


if __name__ == "__main__":
    main()
