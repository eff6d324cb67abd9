"""What a source hands to the analysis stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from detectors.detections import Detections


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
