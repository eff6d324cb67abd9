"""Video from the cameras' retained recordings (``evidence.retain_h``), cut by the alerting service:
an officer's request (视频回溯) and the clip of a 差评 (the rated ticket from its call to its finish).

The pipeline records every live H.264 camera as segments by stream copy under the evidence root
(``streams.evidence.recordings``); here a span is joined from the segments that cover it, again by
stream copy (keyframe granularity: it starts at the segment boundary at or before the asked start),
into a folder of the evidence store and signed with the same manifest as a violation's clip, so
``python -m alerts.evidence verify`` and the case export treat it alike."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from configs.model import Camera, HallwatchConfig
from domain.events import Violation
from streams.evidence.manifest import camera_entry, resolve_key, write_manifest
from streams.evidence.recordings import SegmentIndex, recordings_folder
from streams.evidence.storage import LocalEvidenceStore
from streams.evidence.video import join
from streams.wire import encode

log = logging.getLogger(__name__)
CLIP = "open_raw.mp4"  # the name a violation's opening clip has: the console and export play it alike


@dataclass(frozen=True)
class Cut:
    path: Path
    start: datetime  # the first frame's time (the segment boundary at or before the asked start)
    end: datetime


def _at(epoch: float, like: datetime) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).astimezone(like.tzinfo)


class Recordings:
    """The retained recordings of the configured cameras, read-only (the pipeline writes them)."""

    def __init__(self, cfg: HallwatchConfig):
        self.cfg, self.ev = cfg, cfg.evidence
        self.store = LocalEvidenceStore(self.ev.root)
        self._indexes: dict[str, SegmentIndex] = {}
        self._lock = threading.Lock()

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cfg.cameras if c.id == camera_id), None)

    def retained(self, camera_id: str) -> list[tuple[float, float]]:
        """Spans of the camera's recording on disk, epoch seconds, oldest first."""
        with self._lock:
            return self._index(camera_id).runs()

    def _index(self, camera_id: str) -> SegmentIndex:
        if camera_id not in self._indexes:
            self._indexes[camera_id] = SegmentIndex(recordings_folder(self.ev.root, camera_id))
        return self._indexes[camera_id]

    def covered(self, camera_id: str, start: datetime, end: datetime) -> bool:
        """Whether one run of segments holds the whole span (within a segment at either end)."""
        with self._lock:
            run = self._index(camera_id).covering(start.timestamp(), end.timestamp())
        slack = self.ev.segment_s + 0.5
        return bool(run) and run[0].start <= start.timestamp() + slack and run[-1].end >= end.timestamp() - slack

    def cut(self, camera_id: str, start: datetime, end: datetime, out: Path) -> Cut | None:
        """The span as one MP4 by stream copy; None when nothing of it is retained. A span the
        recording covers only in part gives that part (check ``covered`` first where it must be whole)."""
        with self._lock:
            run = self._index(camera_id).covering(start.timestamp(), end.timestamp())
        if not run:
            return None
        join([s.path for s in run], out)
        return Cut(out, _at(run[0].start, start), _at(run[-1].end, start))

    def sign(self, folder: Path, event: dict, camera: Camera) -> Path:
        files = [p.name for p in folder.iterdir() if p.is_file() and p.suffix == ".mp4" and ".partial" not in p.name]
        return write_manifest(folder, event, camera_entry(camera), files, resolve_key(self.ev.hmac_key), self.ev.key_id)


@dataclass(frozen=True)
class RatingClip:
    violation: Violation  # the 差评 alert as raised
    start: datetime
    end: datetime
    queued: float  # monotonic


class RatingClips:
    """Cuts each 差评 alert's clip once the recording holds its end (the finish may be a few seconds
    old when the rating arrives; a segment closes ``segment_s`` later), on a thread of its own, and
    hands the alert back with its evidence (the store merges it; nothing is reopened or counted
    again). A span that never gets recorded is given up after ``wait_s``: the alert stays without."""

    def __init__(self, recordings: Recordings, publish: Callable[[list[Violation]], None], wait_s: float = 60):
        self.recordings, self.publish, self.wait_s = recordings, publish, wait_s
        self.jobs: queue.Queue[RatingClip | None] = queue.Queue()
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="rating-clips", daemon=True)

    def add(self, violation: Violation, start: datetime, end: datetime) -> None:
        camera = self.recordings.camera(violation.camera_id)
        if camera is None or not self.recordings.ev.enabled or not self.recordings.ev.hmac_key:
            return
        self.jobs.put(RatingClip(violation, start, end, time.monotonic()))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.jobs.put(None)
        self._thread.join(timeout=15)

    def _run(self) -> None:
        waiting: list[RatingClip] = []
        while True:
            try:
                job = self.jobs.get(timeout=1.0)
                if job is None:
                    return
                waiting.append(job)
            except queue.Empty:
                pass
            for job in list(waiting):
                recorded = self.recordings.covered(job.violation.camera_id, job.start, job.end)
                late = time.monotonic() - job.queued > self.wait_s + max(
                    0.0, (job.end - datetime.now(UTC)).total_seconds()
                )
                if recorded or late:
                    waiting.remove(job)
                    try:
                        self._write(job)
                    except Exception:
                        log.exception("the clip of 差评 alert %s failed", job.violation.event_id)

    def _write(self, job: RatingClip) -> None:
        v = job.violation
        camera = self.recordings.camera(v.camera_id)
        assert camera is not None
        folder = self.recordings.store.folder_for(v.event_id, v.hall_id, v.started_at)
        cut = self.recordings.cut(v.camera_id, job.start, job.end, folder / CLIP)
        if cut is None:
            log.warning("差评 alert %s: camera %s has no recording of %s–%s", v.event_id, v.camera_id,
                        job.start.isoformat(), job.end.isoformat())  # fmt: skip
            if not any(folder.iterdir()):
                folder.rmdir()
            return
        manifest = self.recordings.sign(folder, encode(v), camera)
        store = self.recordings.store
        evidence = {
            "open_clip": store.relative(cut.path),
            "open_clip_start": cut.start.isoformat(),
            "manifest": store.relative(manifest),
        }
        self.publish([v.with_evidence(evidence)])
        self.written += 1


def request_event(
    request_id: str, camera: Camera, window: str | None, start: datetime, end: datetime, by: str, reason: str
) -> dict:
    """What a requested clip's manifest says it is (``verify --expect`` reads event_id, hall_id,
    camera_id, started_at)."""
    return {
        "event_id": request_id,
        "kind": "video_request",
        "hall_id": camera.hall,
        "camera_id": camera.id,
        "window_id": window,
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "requested_by": by,
        "reason": reason,
    }
