"""The detector interface: batches of BGR images in, person boxes out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from detectors.detections import Detections


class PersonDetector(Protocol):
    name: str

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """Person boxes for each image (frames of several cameras may share one call)."""
        ...


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best first (OpenCV's implementation)."""
    import cv2

    if len(xyxy) == 0:
        return np.empty(0, dtype=int)
    xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(float).tolist(), 0.0, iou_threshold)
    return np.asarray(keep, dtype=int).reshape(-1)
