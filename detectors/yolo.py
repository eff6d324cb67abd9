"""Ultralytics YOLO, the production detector (weights are a config value).

On a connected machine ultralytics downloads named weights (``yolo11n.pt``) itself; offline, point
``detector.weights`` at a local ``.pt``/``.onnx``/``.engine`` file. Frames of several cameras go
through the model in one batched call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detectors.base import Region, detect_in_regions
from detectors.detections import Detections

PERSON = 0


class YoloDetector:
    name = "yolo"
    batched = True
    max_batch = 8

    def __init__(
        self, weights: str | Any, device: str = "cpu", imgsz: int = 640, conf: float = 0.4, half: bool = False
    ):
        from ultralytics import YOLO

        self.model = weights if not isinstance(weights, str) else YOLO(weights)
        self.device = device
        self.imgsz = imgsz
        self.conf = conf
        self.half = half and device.startswith("cuda")

    def detect(self, images: list[np.ndarray], regions: list[Region | None] | None = None) -> list[Detections]:
        return detect_in_regions(self._detect, images, regions)

    def _detect(self, images: list[np.ndarray]) -> list[Detections]:
        if not images:
            return []
        results = self.model.predict(
            images,
            imgsz=self.imgsz,
            conf=self.conf,
            classes=[PERSON],
            device=self.device,
            half=self.half,
            verbose=False,
        )
        out = []
        for result in results:
            boxes = result.boxes.cpu().numpy()
            out.append(Detections(boxes.xyxy.astype(float), boxes.conf.astype(float), np.full(len(boxes), -1)))
        return out
