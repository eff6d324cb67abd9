"""What the camera saw in its recent analysed frames (time, frame number, people and their boxes):
a few hundred bytes a frame, kept for the overlay data of evidence clips."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class TrackFrame:
    time: datetime
    index: int
    people: tuple = field(default=())  # (track_id, xyxy tuple, floor tuple | None)


class TrackRing:
    """The last ``keep_s`` seconds of frames; thread-safe (the camera thread appends, the clip
    writer reads)."""

    def __init__(self, keep_s: float):
        self.keep = timedelta(seconds=keep_s)
        self._frames: deque[TrackFrame] = deque()
        self._lock = threading.Lock()

    def push(self, frame: TrackFrame) -> None:
        with self._lock:
            if self._frames and frame.time < self._frames[-1].time:
                self._frames.clear()  # the media clock went back (a replay restarted): a new timeline
            self._frames.append(frame)
            while self._frames and frame.time - self._frames[0].time > self.keep:
                self._frames.popleft()

    def between(self, start: datetime, end: datetime) -> list[TrackFrame]:
        with self._lock:
            return [f for f in self._frames if start <= f.time <= end]
