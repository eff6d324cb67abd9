"""Build the configured detector, with the offline fallback chain auto -> NanoDet -> HOG."""

from __future__ import annotations

import importlib.util
import logging

from configs.model import DetectorConfig
from detectors.base import PersonDetector

log = logging.getLogger(__name__)


def missing_requirement(config: DetectorConfig) -> str | None:
    """Why the configured backend cannot run in this environment, or None when it can."""
    if config.backend == "yolo" and importlib.util.find_spec("ultralytics") is None:
        return (
            "detector.backend: 'yolo' needs the optional YOLO group (Ultralytics and PyTorch), which this "
            "environment does not have: run `HALLWATCH_EXTRAS=yolo make setup` (or `make setup "
            "HALLWATCH_CONFIG=<this config>`), or pip install '.[yolo]'"
        )
    return None


def build_detector(config: DetectorConfig) -> PersonDetector | None:
    """None for ``replay`` (detections come with the frames)."""
    backend = config.backend
    if backend == "replay":
        return None
    if backend == "yolo":
        if (reason := missing_requirement(config)) is not None:
            raise RuntimeError(reason)
        from detectors.yolo import YoloDetector

        return YoloDetector(config.weights, config.device, config.imgsz, config.conf, config.half)
    if backend == "hog":
        from detectors.hog import HogDetector

        return HogDetector()
    from detectors.models import nanodet_path

    precision = config.precision
    path = nanodet_path(precision)
    if not path.exists() and precision == "int8" and nanodet_path("fp32").exists():
        log.warning(
            "the quantized NanoDet model is missing at %s (run `python -m detectors.models fetch`): using fp32", path
        )
        path, precision = nanodet_path("fp32"), "fp32"
    if path.exists():
        from detectors.nanodet import NanoDetDetector

        return NanoDetDetector(
            path,
            conf=config.conf,
            letterbox=config.letterbox,
            input_size=config.input_size,
            busy_wait=config.busy_wait,
            precision=precision,
        )
    if backend == "nanodet":
        raise RuntimeError(f"the NanoDet model is missing at {path}: run `python -m detectors.models fetch`")
    log.warning(
        "offline NanoDet model not found at %s (run `python -m detectors.models fetch`); "
        "FALLING BACK to OpenCV's HOG people detector, which misses many people",
        path,
    )
    from detectors.hog import HogDetector

    return HogDetector()
