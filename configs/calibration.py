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
