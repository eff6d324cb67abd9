"""Floor geometry: image pixels -> floor metres through a calibrated homography (the mapping
itself lives in ``configs.calibration``, which the alerting service's installer tool uses too)."""
from __future__ import annotations

import numpy as np

from configs.calibration import foot_points, homography_from_points, to_floor

__all__ = ["foot_points", "homography_from_points", "to_floor", "to_image"]


def to_image(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 floor points (metres) back to image pixels."""
    return to_floor(np.linalg.inv(matrix), points)
