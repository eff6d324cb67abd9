"""The detector interface: batches of BGR images in, person boxes out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from detectors.detections import Detections

# Where in an image to look: x0, y0, x1, y1 in its pixels (None: all of it).
Region = tuple[int, int, int, int]


class PersonDetector(Protocol):
    name: str
    # True when a call with several images costs less than one call per image (YOLO on a GPU):
    # only then is it worth waiting a moment for other cameras' frames to join a call.
    batched: bool
    # The most frames one call takes when several cameras' frames are ready (detector.max_batch
    # overrides it): what measured best for the detector (docs/operations.md, Sizing).
    max_batch: int

    def detect(self, images: list[np.ndarray], regions: list[Region | None] | None = None) -> list[Detections]:
        """Person boxes for each image (frames of several cameras may share one call), in the
        image's pixels; with ``regions``, only people inside each image's region are looked for."""
        ...


def shifted(detections: Detections, dx: float, dy: float) -> Detections:
    if not len(detections) or (dx == 0 and dy == 0):
        return detections
    return Detections(detections.xyxy + np.array([dx, dy, dx, dy], float), detections.scores, detections.ids)


def detect_in_regions(
    detect: Callable[[list[np.ndarray]], list[Detections]],
    images: list[np.ndarray],
    regions: list[Region | None] | None,
) -> list[Detections]:
    """For detectors that take whole images: each image cut to its region, the boxes moved back."""
    if regions is None:
        return detect(images)
    crops = [image if r is None else image[r[1] : r[3], r[0] : r[2]] for image, r in zip(images, regions)]
    found = detect(crops)
    return [d if r is None else shifted(d, r[0], r[1]) for d, r in zip(found, regions)]


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best first (OpenCV's implementation)."""
    import cv2

    if len(xyxy) == 0:
        return np.empty(0, dtype=int)
    xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(float).tolist(), 0.0, iou_threshold)
    return np.asarray(keep, dtype=int).reshape(-1)
