"""OpenCV's HOG + linear SVM people detector: weak, but always available and weight-free."""

from __future__ import annotations

import cv2
import numpy as np

from detectors.base import Region, detect_in_regions, nms
from detectors.detections import Detections


class HogDetector:
    name = "hog"
    batched = False
    max_batch = 8  # one image at a time inside; the batch only saves queue round trips

    def __init__(self, conf: float = 0.0, upscale_below: int = 720):
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.conf = conf
        # The default window is 64x128: small people need an upscaled image to be found at all.
        self.upscale_below = upscale_below

    def _one(self, image: np.ndarray) -> Detections:
        scale = 1.0
        if image.shape[0] < self.upscale_below:
            scale = self.upscale_below / image.shape[0]
            image = cv2.resize(image, None, fx=scale, fy=scale)
        rects, weights = self.hog.detectMultiScale(image, winStride=(8, 8), padding=(8, 8), scale=1.05)
        if len(rects) == 0:
            return Detections.empty()
        rects = np.asarray(rects, dtype=float) / scale
        scores = np.asarray(weights, dtype=float).reshape(-1)
        xyxy = np.column_stack([rects[:, :2], rects[:, :2] + rects[:, 2:]])
        mask = scores >= self.conf
        xyxy, scores = xyxy[mask], scores[mask]
        keep = nms(xyxy, scores, 0.45)
        # HOG's SVM margin is not a probability; squash it into 0..1 for the tracker's thresholds.
        probs = 1.0 / (1.0 + np.exp(-2.0 * scores[keep]))
        return Detections(xyxy[keep], probs, np.full(len(keep), -1))

    def detect(self, images: list[np.ndarray], regions: list[Region | None] | None = None) -> list[Detections]:
        return detect_in_regions(lambda crops: [self._one(crop) for crop in crops], images, regions)
