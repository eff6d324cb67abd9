"""Detector settings side by side in one run: frames/s of detection plus tracking on vtest.avi.

    python -m benchmarks.bench_detector_settings

Compares the settings before this version (plain resize, detector threshold 0.4) with the
defaults (letterboxed input, threshold 0.1 for ByteTrack's second association), alternating,
best of three (the machines are noisy).
"""

from __future__ import annotations

import time

import cv2

from benchmarks.common import VTEST
from configs.model import DetectorConfig, TrackerConfig
from detectors.factory import build_detector
from detectors.tracking import PersonTracker

SETTINGS = {"before (resize, conf 0.4)": DetectorConfig(letterbox=False, conf=0.4), "defaults": DetectorConfig()}


def main(frames: int = 300, repeat: int = 3) -> None:
    cap = cv2.VideoCapture(str(VTEST))
    images = []
    while len(images) < frames:
        ok, image = cap.read()
        if not ok:
            break
        images.append(image)
    detectors = {name: build_detector(cfg) for name, cfg in SETTINGS.items()}
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
