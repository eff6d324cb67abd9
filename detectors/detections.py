"""Person boxes of one frame: what every detector returns and the tracker consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Detections:
    """Person boxes of one frame: ``xyxy`` Nx4 pixels, ``scores`` N, ``ids`` N (-1 = untracked)."""

    xyxy: np.ndarray
    scores: np.ndarray
    ids: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.empty((0, 4)), np.empty(0), np.empty(0, dtype=int))

    def __len__(self) -> int:
        return len(self.xyxy)
