"""Floor geometry: image pixels -> floor metres through a calibrated homography."""
from __future__ import annotations

import cv2
import numpy as np

from configs.calibration import homography_from_points

__all__ = ["foot_points", "homography_from_points", "to_floor", "to_image"]

def to_floor(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 image points to Nx2 floor points (metres)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    if len(pts) == 0:
        return np.empty((0, 2))
    return cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)


def to_image(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 floor points (metres) back to image pixels."""
    return to_floor(np.linalg.inv(matrix), points)


def foot_points(boxes_xyxy: np.ndarray) -> np.ndarray:
    """Bottom-centre of each box: where a standing person touches the floor."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]], axis=1)
