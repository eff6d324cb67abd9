"""What a source hands to the analysis stage."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class Frame:
    """One analysed frame. ``index`` is the source frame number (1-based, as in MOT files).

    ``image`` is None for ``mot:`` replays, which carry ``detections`` instead.
    """

    camera_id: str
    index: int
    time: datetime
    image: np.ndarray | None = None
    detections: Detections | None = None
