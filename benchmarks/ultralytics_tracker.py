"""The tracker before supervision's ByteTrack (ultralytics' BYTETracker), for side-by-side runs.

Only importable where the YOLO extra (ultralytics, hence torch) is installed.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from ultralytics.trackers.byte_tracker import BYTETracker

from configs.model import TrackerConfig
from detectors.detections import Detections
from detectors.tracking import TrackedPerson


class _Boxes:
    """The small results-like view BYTETracker reads (conf, cls, xywh, xyxy, boolean indexing)."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray):
        self.xyxy = xyxy.astype(np.float32).reshape(-1, 4)
        self.conf = conf.astype(np.float32).reshape(-1)
        self.cls = np.zeros(len(self.conf), dtype=np.float32)
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        self.xywh = np.column_stack([self.xyxy[:, :2] + wh / 2, wh])

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: np.ndarray) -> _Boxes:
        return _Boxes(self.xyxy[index], self.conf[index])


class UltralyticsPersonTracker:
    """detectors.tracking.PersonTracker as it was on ultralytics' BYTETracker (same hold logic)."""

    def __init__(self, config: TrackerConfig, analysis_fps: float):
        frames = lambda seconds: max(1, round(seconds * analysis_fps))  # noqa: E731
        args = SimpleNamespace(
            track_high_thresh=config.high_thresh,
            track_low_thresh=config.low_thresh,
            new_track_thresh=config.new_track_thresh,
            track_buffer=frames(config.lost_s),
            match_thresh=config.match_thresh,
            fuse_score=True,
        )
        self._tracker = BYTETracker(args)
        self.hold_frames = round(config.hold_s * analysis_fps)

    def update(self, detections: Detections) -> list[TrackedPerson]:
        tracker = self._tracker
        tracker.update(_Boxes(detections.xyxy, detections.scores))
        people = []
        for track in tracker.tracked_stracks:
            if track.is_activated:
                people.append(TrackedPerson(int(track.track_id), track.xyxy.astype(float), float(track.score), True))
        for track in tracker.lost_stracks:
            if tracker.frame_id - track.end_frame <= self.hold_frames:
                # The Kalman prediction: still for a seated clerk, following a walker's last motion.
                people.append(TrackedPerson(int(track.track_id), track.xyxy.astype(float), float(track.score), False))
        return people
