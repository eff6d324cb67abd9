"""Multi-object tracking with supervision's ByteTrack, plus a short hold for missed people.

supervision (pinned in pyproject.toml) is pure numpy/scipy: the pipeline imports no deep-learning
framework unless the YOLO backend is configured. Its ByteTrack is the reference algorithm
(two-stage association, Kalman filter on centre/aspect/height) that ultralytics' BYTETracker also
implements; ``benchmarks/bench_tracking.py`` compares the two on PETS09-S2L1 where ultralytics is
installed (docs/model_card.md).

The boxes reported are each track's Kalman-filtered state after the frame's update (not the raw
detection), so the foot point the rules see jitters less than one frame's detection (about 0.7x
on a still person, tests/test_detectors.py). A second, floor-plane constant-velocity filter was
measured on top and not adopted: on PETS09-S2L1 it moved the median floor error from 0.15 to
0.16 m (lag on walkers) and on TUD-Stadtmitte not at all (docs/model_card.md).

A person the detector misses for a frame or two is still in the room: the tracker keeps lost
tracks for ``lost_s`` so they come back with the same id, and reports them as present (at the
Kalman prediction, ``detected=False``) for ``hold_s`` — but only while where they could have gone
since stays within ``hold_drift_m`` (their speed over the last second, in person heights, times
the time since): a seated clerk is held for all of ``hold_s``, a walker's drifting prediction for
a fraction of a second, so held ghosts do not make gatherings (docs/model_card.md). A track
started after the first frame needs two matched frames before it is reported, so a one-frame
ghost never reaches the rules.

Where boxes alone cannot tell people apart (crossing, standing close, a few frames a second),
their looks decide: with the frame given, each detection's colours (detectors/appearance.py) are
weighed into ByteTrack's matching cost by ``appearance_weight`` (docs/model_card.md).
"""

from __future__ import annotations

import threading
import warnings
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from supervision.detection.utils.iou_and_nms import box_iou_batch
from supervision.tracker.byte_tracker import matching
from supervision.tracker.byte_tracker.core import ByteTrack
from supervision.tracker.byte_tracker.single_object_track import STrack

from configs.model import TrackerConfig
from detectors import appearance
from detectors.detections import Detections

# supervision's own second-stage floor: lower scores never reach its association.
SUPERVISION_LOW_FLOOR = 0.1
# The scale for a held person's speed when no calibration is at hand: a box's height is a person's.
PERSON_HEIGHT_M = 1.7
# How far back a track's speed is measured.
SPEED_WINDOW_S = 1.0


# How much of a track's look is kept at each detection matched to it (the rest is the new look).
LOOK_MEMORY = 0.8


@dataclass(slots=True)
class _Looks:
    """The looks one ``PersonTracker.update`` compares: its detections' (by their box, as ByteTrack
    holds them) and its tracks' (by ByteTrack's internal id)."""

    weight: float
    detections: dict[bytes, np.ndarray | None] = field(default_factory=dict)
    tracks: dict[int, np.ndarray] = field(default_factory=dict)

    def cost(self, overlap_cost: np.ndarray, tracks: list[STrack], detections: list[STrack]) -> np.ndarray:
        known = appearance.distances(
            [self.tracks.get(t.internal_track_id) for t in tracks],
            [self.detections.get(d._tlwh.tobytes()) for d in detections],
        )
        return appearance.blend(overlap_cost, known, self.weight)


# supervision's ByteTrack has no hook for a second cue, and the pinned release (the last with
# ByteTrack) will not change: its association cost is wrapped once, here. The wrapper adds the
# looks only inside a PersonTracker.update that has them (a context set for that one call, per
# thread, so trackers on other threads are unaffected) and only between tracks and new detections;
# anywhere else it is supervision's own cost, unchanged.
_overlap_cost = matching.iou_distance
_current = threading.local()


def _cost_with_looks(tracks, detections):
    cost = _overlap_cost(tracks, detections)
    looks: _Looks | None = getattr(_current, "looks", None)
    if looks is None or not len(tracks) or not len(detections) or not isinstance(detections[0], STrack):
        return cost
    if not isinstance(tracks[0], STrack) or any(d.internal_track_id != d.internal_id_counter.NO_ID for d in detections):
        return cost  # tracks against tracks (ByteTrack's duplicate removal): boxes only
    return looks.cost(cost, tracks, detections)


matching.iou_distance = _cost_with_looks


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    track_id: int
    xyxy: np.ndarray
    score: float
    detected: bool  # False while held from memory after a missed detection


class PersonTracker:
    """One per camera. ``update`` takes the detections of consecutive analysed frames."""

    def __init__(self, config: TrackerConfig, analysis_fps: float):
        frames = lambda seconds: max(1, round(seconds * analysis_fps))  # noqa: E731
        with warnings.catch_warnings():
            # ByteTrack moved to roboflow's `trackers` package, which requires the GUI OpenCV build
            # (conflicting with the headless one everything else here uses); the class is kept
            # unchanged in the pinned supervision release.
            warnings.simplefilter("ignore")
            self._tracker = ByteTrack(
                track_activation_threshold=config.high_thresh,
                # frame_rate 30 makes supervision's buffer exactly this many analysed frames.
                lost_track_buffer=frames(config.lost_s),
                frame_rate=30,
                minimum_matching_threshold=config.match_thresh,
                minimum_consecutive_frames=1,
            )
        self._tracker.det_thresh = config.new_track_thresh
        self._low = max(config.low_thresh, SUPERVISION_LOW_FLOOR)
        self.hold_frames = round(config.hold_s * analysis_fps)
        self.hold_drift_m = config.hold_drift_m
        self.fps = analysis_fps
        # Each reported track's last second of detected foot points and box heights: (frame, x, y, height).
        self._seen: dict[int, deque[tuple[int, float, float, float]]] = {}
        self._window = max(2, round(SPEED_WINDOW_S * analysis_fps) + 1)
        self._looks = _Looks(config.appearance_weight)

    def _speed(self, track_id: int) -> float:
        """Metres per second over the last second a track was detected, in person heights."""
        seen = self._seen.get(track_id)
        if not seen or len(seen) < 2:
            return 0.0
        (f0, x0, y0, _), (f1, x1, y1, _) = seen[0], seen[-1]
        height = float(np.median([s[3] for s in seen]))
        if f1 <= f0 or height <= 0:
            return 0.0
        return float(np.hypot(x1 - x0, y1 - y0)) / height * PERSON_HEIGHT_M * self.fps / (f1 - f0)

    def _hold(self, track_id: int, missed_frames: int) -> bool:
        if missed_frames > self.hold_frames:
            return False
        if not self.hold_drift_m:
            return True
        return self._speed(track_id) * missed_frames / self.fps <= self.hold_drift_m

    def update(self, detections: Detections, image: np.ndarray | None = None) -> list[TrackedPerson]:
        """``image``: the frame the detections are from; with it (and ``appearance_weight``) the
        people's looks help keep identities apart (detectors/appearance.py)."""
        tracker = self._tracker
        keep = (detections.scores > self._low) & np.isfinite(detections.xyxy).all(axis=1)
        tensors = np.column_stack([detections.xyxy[keep], detections.scores[keep]]).astype(np.float32).reshape(-1, 5)
        looks, described = None, []
        if image is not None and self._looks.weight > 0:
            looks = self._looks
            described = appearance.describe(image, tensors[:, :4])
            # Keyed as ByteTrack will hold each detection: its box as top-left, width, height.
            looks.detections = {STrack.tlbr_to_tlwh(row[:4]).tobytes(): look for row, look in zip(tensors, described)}
        _current.looks = looks
        try:
            tracker.update_with_tensors(tensors)
        finally:
            _current.looks = None
        if looks is not None:
            self._remember_looks(tensors[:, :4], described)
        people = []
        for track in tracker.tracked_tracks:
            if track.is_activated:
                box = track.tlbr.astype(float)
                people.append(TrackedPerson(int(track.external_track_id), box, float(track.score), True))
                seen = self._seen.setdefault(int(track.external_track_id), deque(maxlen=self._window))
                seen.append((tracker.frame_id, (box[0] + box[2]) / 2, float(box[3]), float(box[3] - box[1])))
        for track in tracker.lost_tracks:
            if self._hold(int(track.external_track_id), tracker.frame_id - track.frame_id):
                # The Kalman prediction: still for a seated clerk, following a walker's last motion.
                people.append(
                    TrackedPerson(int(track.external_track_id), track.tlbr.astype(float), float(track.score), False)
                )
        if len(self._seen) > 4 * (len(tracker.tracked_tracks) + len(tracker.lost_tracks)) + 64:
            alive = {int(t.external_track_id) for t in (*tracker.tracked_tracks, *tracker.lost_tracks)}
            self._seen = {k: v for k, v in self._seen.items() if k in alive}
        return people

    def _remember_looks(self, boxes: np.ndarray, looks: list[np.ndarray | None]) -> None:
        """Each track matched this frame takes in the look of the detection it was matched to (the
        one its updated box overlaps most); tracks that ended are forgotten."""
        tracker = self._tracker
        updated = [t for t in tracker.tracked_tracks if t.frame_id == tracker.frame_id]
        memory = self._looks.tracks
        if updated and len(boxes):
            overlap = box_iou_batch(np.array([t.tlbr for t in updated], dtype=np.float32), boxes)
            for i, j in zip(*linear_sum_assignment(-overlap)):
                look = looks[j]
                if overlap[i, j] < 0.5 or look is None:
                    continue
                key = updated[i].internal_track_id
                memory[key] = look if key not in memory else LOOK_MEMORY * memory[key] + (1 - LOOK_MEMORY) * look
        alive = {t.internal_track_id for t in (*tracker.tracked_tracks, *tracker.lost_tracks)}
        for key in [k for k in memory if k not in alive]:
            del memory[key]
