"""Multi-object tracking with ultralytics' ByteTrack, plus a short hold for missed people.

The boxes reported are each track's Kalman-filtered state after the frame's update (not the raw
detection), so the foot point the rules see jitters less than one frame's detection (about 0.7x
on a still person, tests/test_detectors.py). A second, floor-plane constant-velocity filter was
measured on top and not adopted: on PETS09-S2L1 it moved the median floor error from 0.15 to
0.16 m (lag on walkers) and on TUD-Stadtmitte not at all (docs/model_card.md).

A person the detector misses for a frame or two is still in the room: the tracker keeps lost
tracks for ``lost_s`` so they come back with the same id, and reports them as present (at their
last position, ``detected=False``) for ``hold_s``. A new track needs two matched frames before it
is reported, so a one-frame ghost never reaches the rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from ultralytics.trackers.byte_tracker import BYTETracker

from configs.model import TrackerConfig
from detectors.detections import Detections


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    track_id: int
    xyxy: np.ndarray
    score: float
    detected: bool  # False while held from memory after a missed detection


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


class PersonTracker:
    """One per camera. ``update`` takes the detections of consecutive analysed frames."""

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
