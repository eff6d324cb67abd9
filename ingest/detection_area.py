"""Where in a camera's frame to look for people: the union of its zones and room around them for
the people whose feet are in a zone (their bodies reach above it), learnt from the camera's own
detections — the rules never look anywhere else (every rule is a zone's), and a smaller region is
a smaller detector input at the same pixels per person (docs/operations.md, "Capacity").

The region starts as the whole frame. Once ``LEARN_BOXES`` confident people have been seen, it is
the zones' bounding box widened by the tallest of them (the 95th percentile of their heights,
never shrinking) above, and half that to the sides and below. A person whose box touches the
region's top edge may be taller than that: the next frame is looked at whole, and their height
is learnt from it. Every ``REFRESH_S`` the whole frame is looked at once more.

With ``camera.still_recheck_s`` the detector is not run while nothing moved in the region since it
last looked (ingest/motion.py): the people it found then are still there.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

import numpy as np

from configs.model import Camera
from detectors.base import PersonDetector, Region
from detectors.detections import Detections
from ingest.motion import MotionGate

LEARN_BOXES = 20  # confident people seen before the region is used
CONFIDENT = 0.5
REFRESH_S = 30.0
MIN_SIDE = 64  # px: a region is never thinner than this


class DetectionArea:
    def __init__(self, camera: Camera):
        self.enabled = camera.detection_area == "zones" and bool(camera.zones)
        points = np.array([p for zone in camera.zones for p in zone.polygon], float).reshape(-1, 2)
        self._zones = (points.min(axis=0), points.max(axis=0)) if len(points) else None
        self._heights: deque[float] = deque(maxlen=500)
        self._person_h = 0.0
        self._whole_next = False
        self._whole_at: datetime | None = None  # the frames it learnt from were whole
        self._last: Region | None = None
        self.gate = MotionGate(camera.still_recheck_s)

    def region(self, width: int, height: int, at: datetime) -> Region | None:
        """The region to detect in for the frame at ``at`` (None: the whole frame)."""
        self._last = None
        if not self.enabled or self._zones is None or len(self._heights) < LEARN_BOXES:
            return None
        if self._whole_at is None:
            self._whole_at = at
        if self._whole_next or (at - self._whole_at).total_seconds() >= REFRESH_S:
            self._whole_next = False
            self._whole_at = at
            return None
        (zx0, zy0), (zx1, zy1) = self._zones
        h = self._person_h
        x0, x1 = max(0, int(zx0 - h / 2)), min(width, int(np.ceil(zx1 + h / 2)))
        y0, y1 = max(0, int(zy0 - 1.2 * h)), min(height, int(np.ceil(zy1 + h / 2)))
        if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
            return None
        if (x0, y0, x1, y1) == (0, 0, width, height):
            return None
        self._last = (x0, y0, x1, y1)
        return self._last

    def detect(self, detector: PersonDetector, image: np.ndarray, at: datetime) -> Detections:
        """The people of the frame at ``at``, looked for in this camera's region (or, while the
        region is still, the ones found there last); learnt from."""
        region = self.region(image.shape[1], image.shape[0], at)
        if (held := self.gate.still(image, region, at)) is not None:
            return held
        detections = detector.detect([image], [region])[0]
        self.gate.remember(image, at, detections)
        self.observe(detections)
        return detections

    def observe(self, detections: Detections) -> None:
        """Learn people's heights from what was found; a box cut by the region's top edge asks
        for the whole frame next time."""
        confident = detections.xyxy[detections.scores >= CONFIDENT]
        region = self._last
        for _, y0, _, y1 in confident:
            if region is not None and y0 <= region[1] + 2 and region[1] > 0:
                self._whole_next = True  # maybe taller than the region allows: look at all of them
                continue
            self._heights.append(float(y1 - y0))
        if len(self._heights) >= LEARN_BOXES:
            self._person_h = max(self._person_h, float(np.percentile(self._heights, 95)))
