"""The camera stage of the pipeline: detections -> tracks -> floor positions -> rules -> violations,
with the evidence recorder fed alongside."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from configs.model import Camera, HallwatchConfig
from detectors.base import PersonDetector
from detectors.detections import Detections
from detectors.rules.engine import CameraRules, Observation, Person
from detectors.tracking import PersonTracker, TrackedPerson
from domain.events import Absence, ServiceMinute, Violation
from domain.floor import foot_points, homography_from_points, to_floor
from ingest.detection_area import DetectionArea
from ingest.evidence.clip_sources import clip_source
from ingest.evidence.recorder import EvidenceRecorder
from ingest.frames import Frame
from streams.evidence.storage import LocalEvidenceStore


class CameraAnalysis:
    def __init__(
        self,
        cfg: HallwatchConfig,
        camera: Camera,
        detector: PersonDetector | None,
        emit: Callable[[Violation], None],
        tracks_out: Path | None = None,
        absences: Callable[[], list[Absence]] = list,
        emit_update: Callable[[Violation], None] | None = None,
        emit_minute: Callable[[ServiceMinute], None] | None = None,
        append_tracks: bool = False,
    ):
        self.camera = camera
        self.emit_minute = emit_minute
        self.detector = detector
        self.emit = emit
        self.tracker = PersonTracker(cfg.tracker, camera.analysis_fps)
        self.area = DetectionArea(camera)
        self.homography = (
            homography_from_points(camera.calibration.image, camera.calibration.floor) if camera.calibration else None
        )
        self.rules = CameraRules(cfg, camera, absences)
        self._tracks_file = None
        if tracks_out is not None:
            tracks_out.mkdir(parents=True, exist_ok=True)
            # appended when a camera returns to this worker (scale-out), not truncated
            self._tracks_file = (tracks_out / f"{camera.id}.txt").open("a" if append_tracks else "w")
        self.frames = 0
        self.recorder: EvidenceRecorder | None = None
        self.live_every_s = cfg.evidence.live_snapshot_s if cfg.evidence.enabled else 0.0
        self.live_store = LocalEvidenceStore(cfg.evidence.root) if self.live_every_s else None
        self.live_quality = [cv2.IMWRITE_JPEG_QUALITY, min(cfg.evidence.jpeg_quality, 80)]
        self._live_at: datetime | None = None
        if cfg.evidence.enabled and not camera.source.startswith("mot:"):
            self.recorder = EvidenceRecorder(cfg, camera, clip_source(camera, cfg.evidence), emit_update or emit)

    def track(self, frame: Frame) -> list[TrackedPerson]:
        if frame.detections is not None and len(frame.detections) and (frame.detections.ids >= 0).all():
            # Replayed tracks keep their own ids (e.g. annotated ground truth).
            d = frame.detections
            return [TrackedPerson(int(i), b, float(s), True) for i, b, s in zip(d.ids, d.xyxy, d.scores)]
        detections = frame.detections
        if detections is None:
            if self.detector is None or frame.image is None:
                detections = Detections.empty()
            else:
                detections = self.area.detect(self.detector, frame.image, frame.time)
        return self.tracker.update(detections, frame.image)

    def process(self, frame: Frame) -> list[Violation]:
        return self.observe(frame, self.track(frame))

    def observe(self, frame: Frame, tracked: list[TrackedPerson]) -> list[Violation]:
        """The rest of the stage for the people ``track`` found on ``frame``: floor positions,
        tracks file, camera wall, evidence, rules."""
        boxes = np.array([t.xyxy for t in tracked], dtype=float).reshape(-1, 4)
        feet = foot_points(boxes)
        floor = to_floor(self.homography, feet) if self.homography is not None else None
        people = tuple(
            Person(
                t.track_id,
                (float(feet[i, 0]), float(feet[i, 1])),
                (float(floor[i, 0]), float(floor[i, 1])) if floor is not None else None,
                t.detected,
                t.score,
            )
            for i, t in enumerate(tracked)
        )
        if self._tracks_file is not None:
            self._write_tracks(frame.index, tracked, floor)
        if self.live_store is not None and frame.image is not None:
            self._live_snapshot(frame, boxes, [t.track_id for t in tracked])
        if self.recorder is not None:
            self.recorder.observe(
                frame.time,
                frame.index,
                tuple((p.track_id, tuple(boxes[i]), p.floor) for i, p in enumerate(people)),
                frame.image,
            )
        self.frames += 1
        ids = np.array([t.track_id for t in tracked], dtype=int)
        violations = self.rules.step(Observation(frame.time, frame.index, people, (ids, feet, floor)))
        self._emit_all(violations)
        self._emit_minutes()
        if self.recorder is not None:
            self.recorder.on_frame(frame.time)
        return violations

    def _live_snapshot(self, frame: Frame, boxes: np.ndarray, ids: list[int]) -> None:
        """The camera wall's picture: the latest frame every ``live_snapshot_s`` (a few ms each),
        with who was seen on it (for the installers' tool)."""
        if self._live_at is not None and (frame.time - self._live_at).total_seconds() < self.live_every_s:
            return
        self._live_at = frame.time
        ok, jpeg = cv2.imencode(".jpg", frame.image, self.live_quality)
        people = {
            "at": frame.time.isoformat(),
            "size": [frame.image.shape[1], frame.image.shape[0]],
            "people": [[int(i), *(round(float(v), 1) for v in box)] for i, box in zip(ids, boxes)],
        }
        if ok:
            try:
                self.live_store.write_live_snapshot(self.camera.id, jpeg.tobytes())
                self.live_store.write_live_people(self.camera.id, json.dumps(people).encode())
            except OSError:  # a full or read-only disk must not stop detection
                pass

    def _emit_minutes(self) -> None:
        minutes = self.rules.measurements()
        if self.emit_minute is not None:
            for minute in minutes:
                self.emit_minute(minute)

    def _emit_all(self, violations: list[Violation]) -> None:
        for violation in violations:
            self.emit(violation)
            if self.recorder is not None:
                self.recorder.on_violation(violation)

    def _write_tracks(self, index: int, tracked: list[TrackedPerson], floor: np.ndarray | None) -> None:
        lines = []
        for i, t in enumerate(tracked):
            x1, y1, x2, y2 = t.xyxy
            fx, fy = floor[i] if floor is not None else (-1, -1)
            lines.append(
                f"{index},{t.track_id},{x1:.1f},{y1:.1f},{x2 - x1:.1f},{y2 - y1:.1f},"
                f"{t.score:.3f},{fx:.3f},{fy:.3f},-1\n"
            )
        self._tracks_file.writelines(lines)

    def camera_offline(self) -> list[Violation]:
        """No frames for longer than the camera's ``stall_s``: end what is open at the last frame seen."""
        violations = self.rules.interrupt()
        self._emit_all(violations)
        self._emit_minutes()
        return violations

    def release(self) -> None:
        """The camera moves to another worker: its open episodes are not closed (they continue
        there from the checkpoint); pending clips are written and the tracks file is closed."""
        if self.recorder is not None:
            self.recorder.finish()
        if self._tracks_file is not None:
            self._tracks_file.close()
            self._tracks_file = None

    def finish(self) -> list[Violation]:
        violations = self.rules.finish()
        self._emit_all(violations)
        self._emit_minutes()
        if self.recorder is not None:
            self.recorder.finish()
        if self._tracks_file is not None:
            self._tracks_file.close()
            self._tracks_file = None
        return violations
