"""The floor homography of a camera's calibration.

Computed here, at the bottom of the tree, so that config validation rejects exactly the
calibrations the pipeline could not use (``detectors.geometry`` maps points with it).
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# A homography whose condition number exceeds this maps tiny pixel errors to huge floor errors.
_MAX_CONDITION = 1e12


def homography_from_points(image: Sequence[Sequence[float]], floor: Sequence[Sequence[float]]) -> np.ndarray:
    """Least-squares homography (all pairs, no RANSAC: installers' points are trusted).

    Raises ValueError for degenerate input (fewer than 4 pairs, three or more collinear points
    in a 4-point set, or a singular result), so config validation can name the key.
    """
    src = np.asarray(image, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(floor, dtype=np.float64).reshape(-1, 2)
    if len(src) < 4 or len(src) != len(dst):
        raise ValueError("needs at least 4 matching image/floor point pairs")
    if len(src) == 4:
        for pts, name in ((src, "image"), (dst, "floor")):
            for skip in range(4):
                a, b, c = np.delete(pts, skip, axis=0)
                (ux, uy), (vx, vy) = b - a, c - a
                if abs(ux * vy - uy * vx) < 1e-6 * max(1.0, np.ptp(pts) ** 2):
                    raise ValueError(f"three of the 4 {name} points are collinear")
    matrix, _ = cv2.findHomography(src, dst, method=0)
    if matrix is None or not np.all(np.isfinite(matrix)) or np.linalg.cond(matrix) > _MAX_CONDITION:
        raise ValueError("the calibration points do not define a usable homography")
    return matrix


def floor_grid(matrix: np.ndarray, floor_points: Sequence[Sequence[float]], frame_size: tuple[int, int],
               step_m: float = 1.0, margin_m: float = 2.0) -> list[list[list[float]]]:
    """The metric floor grid in image pixels, for installers to check a calibration by eye: lines
    every ``step_m`` over the calibrated area (the floor points' extent plus ``margin_m``), not to
    the horizon; each line as a polyline clipped to the frame and to the floor in front of the
    camera. ``matrix`` maps image -> floor."""
    floor = np.asarray(floor_points, dtype=np.float64).reshape(-1, 2)
    lo = np.floor((floor.min(axis=0) - margin_m) / step_m) * step_m
    hi = np.ceil((floor.max(axis=0) + margin_m) / step_m) * step_m
    inverse = np.linalg.inv(matrix)
    width, height = frame_size
    lines = []
    for axis in (0, 1):
        for value in np.arange(lo[axis], hi[axis] + step_m / 2, step_m):
            other = np.linspace(lo[1 - axis], hi[1 - axis], 64)
            pts = (np.column_stack([np.full_like(other, value), other]) if axis == 0
                   else np.column_stack([other, np.full_like(other, value)]))
            projected = np.column_stack([pts, np.ones(len(pts))]) @ inverse.T
            ahead = projected[:, 2] > 1e-9
            image = projected[:, :2] / np.where(ahead, projected[:, 2], 1.0)[:, None]
            inside = ahead & (image[:, 0] >= 0) & (image[:, 0] <= width) & (image[:, 1] >= 0) & (image[:, 1] <= height)
            if inside.sum() > 1:
                lines.append(np.round(image[inside], 1).tolist())
    return lines


def reprojection_errors(matrix: np.ndarray, image_points: Sequence[Sequence[float]],
                        floor_points: Sequence[Sequence[float]]) -> list[float]:
    """Metres between each floor point and where its image point maps: large values name a
    mistyped or misplaced calibration point."""
    mapped = to_floor(matrix, image_points)
    return np.round(np.linalg.norm(mapped - np.asarray(floor_points, dtype=np.float64), axis=1), 3).tolist()


def to_floor(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 image points to Nx2 floor points (metres)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    if len(pts) == 0:
        return np.empty((0, 2))
    return cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)


def foot_points(boxes_xyxy: np.ndarray) -> np.ndarray:
    """Bottom-centre of each box: where a standing person touches the floor."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]], axis=1)
