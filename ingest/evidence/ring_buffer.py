"""A bounded per-camera memory of recent analysed frames, JPEG-compressed, for evidence clips."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class BufferedFrame:
    time: datetime
    index: int
    jpeg: bytes
    people: tuple = field(default=())  # (track_id, xyxy tuple, floor tuple | None)

    def image(self) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)


class FrameRing:
    """Keeps the newest frames under ``max_bytes``; thread-safe (camera thread writes, the clip
    writer reads)."""

    def __init__(self, max_bytes: int, jpeg_quality: int = 90):
        self.max_bytes = max_bytes
        self.quality = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        self._frames: deque[BufferedFrame] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self.evicted = 0  # frames dropped to stay under the cap

    def push(self, time: datetime, index: int, image: np.ndarray, people: tuple = ()) -> None:
        ok, jpeg = cv2.imencode(".jpg", image, self.quality)
        if not ok:
            return
        frame = BufferedFrame(time, index, jpeg.tobytes(), people)
        with self._lock:
            self._frames.append(frame)
            self._bytes += len(frame.jpeg)
            while self._bytes > self.max_bytes and len(self._frames) > 1:
                self._bytes -= len(self._frames.popleft().jpeg)
                self.evicted += 1

    def between(self, start: datetime, end: datetime) -> list[BufferedFrame]:
        with self._lock:
            return [f for f in self._frames if start <= f.time <= end]
