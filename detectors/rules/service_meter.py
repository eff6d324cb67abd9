"""Per-minute measurements of one camera: staffed seconds per window, people in the queue and
service areas, and each served person's waiting time. Not violations: the alerting service builds
the attendance report (到岗率, arrival and departure) and the queue metrics from them.

Each analysed frame stands for the time until the next one (at most ``max_gap_s``: a longer gap
is time nobody saw), split at minute boundaries. A frame only records its state (a row of a
buffer); the buffer is summed with numpy when its minute ends, so the meter costs the rules
little. Pure: fed the engine's zone membership, no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from domain.events import AreaMinute, PostMinute, QueueWait, ServiceMinute

MAX_QUEUE_WAIT = timedelta(hours=2)  # a queue entry older than this is forgotten (the person left)
MINUTE = timedelta(minutes=1)


class ServiceMeter:
    """``windows``: window id -> membership columns of its posts; ``areas``: (zone id, kind,
    window id, membership column) of every queue and service area; ``frame_s``: the time between
    analysed frames."""

    def __init__(
        self,
        camera_id: str,
        hall_id: str,
        windows: dict[str, list[int]],
        areas: list[tuple[str, str, str | None, int]],
        frame_s: float,
        clock,
    ):
        self.camera_id, self.hall_id, self.clock = camera_id, hall_id, clock
        self.window_ids = list(windows)
        self.window_columns = [np.array(cols, dtype=int) for cols in windows.values()]
        self.areas = areas
        self.area_columns = np.array([a[3] for a in areas], dtype=int)
        queues = [a[3] for a in areas if a[1] == "queue_area"]
        self._queue_column: int | np.ndarray | None = (
            queues[0] if len(queues) == 1 else np.array(queues, dtype=int) if queues else None
        )
        self.service = [(a[3], a[2], a[0]) for a in areas if a[1] == "service_area"]
        self.frame_s = frame_s
        self.max_gap_s = max(3 * frame_s, 2.0)
        self.enabled = bool(self.window_ids or self.areas)
        self.queued_at: dict[int, datetime] = {}
        self._minute: datetime | None = None  # the minute being filled
        self._minute_end = 0.0  # its end as POSIX seconds
        # The minute's frames: (POSIX time, time, people per zone). A frame carried over from the
        # previous minute starts the buffer (its state holds on) with time None.
        self._rows: list[tuple[float, datetime | None, np.ndarray]] = []
        self._waits: list[QueueWait] = []
        self._done: list[ServiceMinute] = []

    def step(self, t: datetime, ids: np.ndarray, membership: np.ndarray) -> None:
        if not self.enabled:
            return
        ts = t.timestamp()
        if ts >= self._minute_end:
            self._roll_to(t, ts)
        # One reduction per frame: people per zone (occupancy and area counts follow at the close).
        self._rows.append((ts, t, membership.sum(axis=0)))
        if self._queue_column is not None or self.queued_at:
            self._track_waits(t, ids, membership)

    def _track_waits(self, t: datetime, ids: np.ndarray, membership: np.ndarray) -> None:
        """Tracks entering a queue are remembered; one reaching a service area after that has
        waited (a few dozen ids a frame: plain Python beats numpy here)."""
        queued_at = self.queued_at
        if self._queue_column is not None:
            in_queue = membership[:, self._queue_column]
            for track in ids[in_queue if in_queue.ndim == 1 else in_queue.any(axis=1)].tolist():
                if track not in queued_at:
                    queued_at[track] = t
        if not queued_at:
            return
        for column, window_id, zone_id in self.service:
            for track in ids[membership[:, column]].tolist():
                since = queued_at.pop(track, None)
                if since is not None and since < t:
                    self._waits.append(QueueWait(window_id, zone_id, track, since, t))

    def _roll_to(self, t: datetime, ts: float) -> None:
        """Close the minute being filled, and any minute the last frame's hold runs through, then
        start the minute of ``t`` (carrying the last frame's state into it if it still holds)."""
        minute = t.replace(second=0, microsecond=0)
        carried: list = []
        if self._minute is not None:
            if minute < self._minute:
                raise ValueError("frames out of order")
            if self._rows:
                last_ts, _, zone_counts = self._rows[-1]
                hold_end = min(ts, last_ts + self.max_gap_s)
                self._close(hold_end)
                while hold_end > self._minute_end and self._minute + MINUTE < minute:
                    self._start(self._minute + MINUTE, [(self._minute_end, None, zone_counts)])
                    self._close(hold_end)
                if hold_end > self._minute_end and self._minute + MINUTE == minute:
                    carried = [(self._minute_end, None, zone_counts)]
        self._start(minute, carried)
        cutoff = t - MAX_QUEUE_WAIT
        if self.queued_at and min(self.queued_at.values()) < cutoff:
            self.queued_at = {k: v for k, v in self.queued_at.items() if v >= cutoff}

    def _start(self, minute: datetime, rows: list) -> None:
        self._minute, self._minute_end, self._rows = minute, minute.timestamp() + 60, rows

    def _close(self, until_ts: float) -> None:
        """Sum the buffered frames of the minute: each holds until the next (capped), the last
        until ``until_ts`` or the minute's end."""
        rows, minute = self._rows, self._minute
        if not rows and not self._waits:
            return
        times = np.array([r[0] for r in rows])
        ends = np.minimum(np.append(times[1:], min(until_ts, self._minute_end)), times + self.max_gap_s)
        held = np.clip(ends - times, 0, None)
        zone_counts = np.array([r[2] for r in rows]).reshape(len(rows), -1)
        occupied = zone_counts > 0
        counts = zone_counts[:, self.area_columns] if zone_counts.shape[1] else np.zeros((len(rows), len(self.areas)))
        real = np.array([r[1] is not None for r in rows])
        posts = []
        for window_id, cols in zip(self.window_ids, self.window_columns):
            staffed = occupied[:, cols].any(axis=1) if occupied.shape[1] else np.zeros(len(rows), dtype=bool)
            seen = np.flatnonzero(staffed & real)
            posts.append(
                PostMinute(
                    window_id,
                    round(float(held[staffed].sum()), 3),
                    rows[seen[0]][1] if len(seen) else None,
                    rows[seen[-1]][1] if len(seen) else None,
                )
            )
        observed = float(held.sum())
        areas = []
        for i, (zone, kind, window, _) in enumerate(self.areas):
            column = counts[:, i]
            areas.append(
                AreaMinute(
                    zone,
                    kind,
                    window,
                    round(float(column @ held / observed), 3) if observed else 0.0,
                    int(column.max()) if len(column) else 0,
                    int(column[-1]) if len(column) else 0,
                )
            )
        self._done.append(
            ServiceMinute(
                self.camera_id,
                self.hall_id,
                minute,
                round(observed, 3),
                tuple(posts),
                tuple(areas),
                tuple(self._waits),
                self.clock(),
            )
        )
        self._rows, self._waits = [], []

    def flush(self) -> None:
        """The input ended or the camera went offline: the last frame counts for one frame gap
        no more, the partial minute is reported, and time after it is unseen."""
        if self._minute is not None and self._rows:
            self._close(self._rows[-1][0] + self.frame_s)
        self._minute, self._rows, self._minute_end = None, [], 0.0

    def drain(self) -> list[ServiceMinute]:
        done, self._done = self._done, []
        return done
