"""Per-minute measurements of one camera: staffed seconds per window, people in the queue and
service areas, and each served person's waiting time. Not violations: the alerting service builds
the attendance report (到岗率, arrival and departure) and the queue metrics from them.

Each analysed frame stands for the time until the next one (at most ``max_gap_s``: a longer gap
is time nobody saw), split at minute boundaries. Pure: fed the engine's zone membership, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from detectors.rules.events import AreaMinute, PostMinute, QueueWait, ServiceMinute

MAX_QUEUE_WAIT = timedelta(hours=2)  # a queue entry older than this is forgotten (the person left)


@dataclass
class _Bucket:
    minute: datetime
    observed_s: float = 0.0
    staffed_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    first_in: list[datetime | None] = field(default_factory=list)
    last_in: list[datetime | None] = field(default_factory=list)
    people_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # person-seconds per area
    peak: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    last: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    waits: list[QueueWait] = field(default_factory=list)


class ServiceMeter:
    """``windows``: window id -> membership columns of its posts; ``areas``: (zone id, kind,
    window id, membership column) of every queue and service area; ``frame_s``: the time between
    analysed frames."""

    def __init__(self, camera_id: str, hall_id: str, windows: dict[str, list[int]],
                 areas: list[tuple[str, str, str | None, int]], frame_s: float, clock):
        self.camera_id, self.hall_id, self.clock = camera_id, hall_id, clock
        self.window_ids = list(windows)
        self.window_columns = [np.array(cols, dtype=int) for cols in windows.values()]
        self.areas = areas
        self.area_columns = np.array([a[3] for a in areas], dtype=int)
        self.queue_columns = np.array([a[3] for a in areas if a[1] == "queue_area"], dtype=int)
        self.service = [(a[3], a[2], a[0]) for a in areas if a[1] == "service_area"]
        self.frame_s = frame_s
        self.max_gap_s = max(3 * frame_s, 2.0)
        self.enabled = bool(self.window_ids or self.areas)
        self.queued_at: dict[int, datetime] = {}
        self._bucket: _Bucket | None = None
        self._prev: tuple[datetime, np.ndarray, np.ndarray] | None = None  # time, staffed, area counts
        self._done: list[ServiceMinute] = []

    def step(self, t: datetime, ids: np.ndarray, membership: np.ndarray) -> None:
        if not self.enabled:
            return
        staffed = np.array([bool(membership[:, cols].any()) if len(cols) else False
                            for cols in self.window_columns], dtype=bool)
        counts = membership[:, self.area_columns].sum(axis=0) if len(self.area_columns) else np.zeros(0, dtype=int)
        if self._prev is not None:
            self._account(self._prev, t)
        self._prev = (t, staffed, counts)
        bucket = self._bucket_for(t)
        for i in np.flatnonzero(staffed):
            bucket.first_in[i] = bucket.first_in[i] or t
            bucket.last_in[i] = t
        bucket.last = counts
        self._waits(t, ids, membership, bucket)

    def _waits(self, t: datetime, ids: np.ndarray, membership: np.ndarray, bucket: _Bucket) -> None:
        if len(self.queue_columns):
            for track in ids[membership[:, self.queue_columns].any(axis=1)].tolist():
                self.queued_at.setdefault(track, t)
        if not self.queued_at:
            return
        for column, window_id, zone_id in self.service:
            for track in ids[membership[:, column]].tolist():
                queued = self.queued_at.pop(track, None)
                if queued is not None and queued < t:
                    bucket.waits.append(QueueWait(window_id, zone_id, track, queued, t))

    def _account(self, prev: tuple[datetime, np.ndarray, np.ndarray], t: datetime) -> None:
        """The previous frame's state holds from its time until ``t`` (capped), split by minute."""
        start, staffed, counts = prev
        end = min(t, start + timedelta(seconds=self.max_gap_s))
        while start < end:
            bucket = self._bucket_for(start)
            stop = min(end, bucket.minute + timedelta(minutes=1))
            seconds = (stop - start).total_seconds()
            bucket.observed_s += seconds
            bucket.staffed_s += staffed * seconds
            bucket.people_s += counts * seconds
            bucket.peak = np.maximum(bucket.peak, counts)
            start = stop

    def _bucket_for(self, t: datetime) -> _Bucket:
        minute = t.replace(second=0, microsecond=0)
        bucket = self._bucket
        if bucket is not None and bucket.minute == minute:
            return bucket
        if bucket is not None and minute < bucket.minute:
            raise ValueError("frames out of order")
        if bucket is not None:
            self._close(bucket)
            cutoff = t - MAX_QUEUE_WAIT
            self.queued_at = {k: v for k, v in self.queued_at.items() if v >= cutoff}
        n, m = len(self.window_ids), len(self.areas)
        self._bucket = _Bucket(minute, 0.0, np.zeros(n), [None] * n, [None] * n, np.zeros(m),
                               np.zeros(m, dtype=int), np.zeros(m, dtype=int))
        return self._bucket

    def _close(self, b: _Bucket) -> None:
        if b.observed_s <= 0 and not b.waits:
            return
        posts = tuple(PostMinute(w, round(float(b.staffed_s[i]), 3), b.first_in[i], b.last_in[i])
                      for i, w in enumerate(self.window_ids))
        areas = tuple(AreaMinute(zone, kind, window, round(float(b.people_s[i] / b.observed_s), 3) if b.observed_s else 0.0,
                                 int(b.peak[i]), int(b.last[i]))
                      for i, (zone, kind, window, _) in enumerate(self.areas))
        self._done.append(ServiceMinute(self.camera_id, self.hall_id, b.minute, round(b.observed_s, 3),
                                        posts, areas, tuple(b.waits), self.clock()))

    def flush(self) -> None:
        """The input ended or the camera went offline: the last frame counts for one frame gap
        no more, the partial minute is reported, and time after it is unseen."""
        if self._prev is not None:
            t = self._prev[0]
            self._account(self._prev, t + timedelta(seconds=self.frame_s))
        if self._bucket is not None:
            self._close(self._bucket)
        self._bucket, self._prev = None, None

    def drain(self) -> list[ServiceMinute]:
        done, self._done = self._done, []
        return done
