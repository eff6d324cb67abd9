"""Detector settings side by side in one run: frames/s of detection plus tracking on vtest.avi.

    python -m benchmarks.bench_detector_settings

Compares the input before this version (the frame letterboxed into a square 416x416: a 4:3
camera's frame is a quarter padding) with the defaults (the input follows the frame's aspect
ratio: 416x320 for 4:3), alternating, best of three (the machines are noisy). The accuracy of
both: ``python -m benchmarks.bench_vision --input-sizes 416sq,416`` (docs/model_card.md).
"""

from __future__ import annotations

import time

import cv2

from benchmarks.bench_vision import build
from benchmarks.common import VTEST
from configs.model import DetectorConfig, TrackerConfig
from detectors.tracking import PersonTracker

SIZE = DetectorConfig().input_size
SETTINGS = {f"before ({SIZE}x{SIZE} square)": f"{SIZE}sq", "defaults": str(SIZE)}


def main(frames: int = 300, repeat: int = 3) -> None:
    cap = cv2.VideoCapture(str(VTEST))
    images = []
    while len(images) < frames:
        ok, image = cap.read()
        if not ok:
            break
        images.append(image)
    detectors = {name: build(DetectorConfig(), size) for name, size in SETTINGS.items()}
    rates: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for _ in range(repeat):
        for name, detector in detectors.items():
            tracker = PersonTracker(TrackerConfig(), 7)
            started = time.perf_counter()
            for image in images:
                tracker.update(detector.detect([image])[0])
            rates[name].append(len(images) / (time.perf_counter() - started))
    for name, values in rates.items():
        print(f"{name:28s} {max(values):5.1f} frames/s (runs {', '.join(f'{v:.1f}' for v in values)})")
    before, after = (max(v) for v in rates.values())
    print(f"ratio defaults / before: {after / before:.3f}")


if __name__ == "__main__":
    main()
