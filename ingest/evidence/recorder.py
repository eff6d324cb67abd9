"""Records the evidence of one camera's violations, off the analysis thread.

On open: a clip from ``pre_s`` before the violation's start to ``post_s`` after it opened, raw
and annotated, plus a snapshot at the moment it opened. On close of a violation that lasted more
than ``long_violation_s``: a clip around the close too. Clips are cut from the camera's ring
buffer once the buffer has reached their end, and encoded by a worker thread (ffmpeg runs in its
own process), so the camera never waits for an encoder. When done, the whole event is published
again with the same ``event_id`` and its ``evidence`` filled in (status = the latest known; the
alert store merges it without reopening anything).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2

from ingest.evidence.clips import encode_mp4
from streams.evidence.manifest import resolve_key, write_manifest
from ingest.evidence.overlay import Titles, annotate
from configs.model import Camera, HallwatchConfig
from detectors.rules.events import Violation
from ingest.evidence.ring_buffer import FrameRing
from streams.evidence.storage import LocalEvidenceStore
from streams.wire import violation_to_wire

log = logging.getLogger(__name__)
SOFTWARE = "hallwatch 0.1.0"


def _lower_thread_priority() -> None:
    """Linux schedules threads separately: the clip writer yields to the analysis threads."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


@dataclass
class ClipJob:
    event_id: str
    kind: str  # "open" | "close"
    start: datetime
    end: datetime
    moment: datetime  # the snapshot's time (open) or the close


class EvidenceRecorder:
    def __init__(self, cfg: HallwatchConfig, camera: Camera, ring: FrameRing, publish: Callable[[Violation], None],
                 executor: ThreadPoolExecutor | None = None):
        self.cfg, self.camera, self.ring, self.publish = cfg, camera, ring, publish
        self.ev = cfg.evidence
        self.store = LocalEvidenceStore(self.ev.root)
        self.key = resolve_key(self.ev.hmac_key)
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"evidence-{camera.id}")
        self.pending: list[ClipJob] = []
        self.latest: dict[str, Violation] = {}  # event_id -> latest state
        self.evidence: dict[str, dict] = {}
        self.futures: list[Future] = []
        self.disk_full = 0
        self.clips_written = 0
        self.write_seconds: list[float] = []  # per clip job, for the evidence benchmark
        self._lock = threading.Lock()
        hall = cfg.hall(camera.hall)
        self.hall_name = hall.name
        self.window_names = {w.id: w.name or w.id for w in hall.windows}

    # -- called from the camera thread ---------------------------------------------------------
    def on_violation(self, violation: Violation) -> None:
        eid = violation.event_id
        with self._lock:
            self.latest[eid] = violation
        pre, post = timedelta(seconds=self.ev.pre_s), timedelta(seconds=self.ev.post_s)
        if violation.is_open:
            opened = violation.opened_at
            self.pending.append(ClipJob(eid, "open", violation.started_at - pre, opened + post, opened))
        elif violation.duration_s > self.ev.long_violation_s and violation.ended_at is not None:
            ended = violation.ended_at
            self.pending.append(ClipJob(eid, "close", ended - pre, ended + post, ended))

    def on_frame(self, t: datetime) -> None:
        ready = [job for job in self.pending if job.end <= t]
        for job in ready:
            self.pending.remove(job)
            self.futures.append(self.executor.submit(self._write, job))

    def finish(self, timeout_s: float = 300) -> None:
        """End of stream: cut what the buffer has for every pending clip, then wait for the writer."""
        for job in self.pending:
            self.futures.append(self.executor.submit(self._write, job))
        self.pending.clear()
        for future in self.futures:
            future.result(timeout=timeout_s)
        self.futures.clear()

    # -- on the writer thread ---------------------------------------------------------------------
    def _write(self, job: ClipJob) -> None:
        _lower_thread_priority()
        started = time.perf_counter()
        try:
            self._write_clip(job)
            self.write_seconds.append(time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - evidence failure must not stop detection
            log.exception("camera %s: evidence for %s failed", self.camera.id, job.event_id)

    def _write_clip(self, job: ClipJob) -> None:
        frames = self.ring.between(job.start, job.end)
        if not frames:
            log.warning("camera %s: no buffered frames for the %s clip of %s", self.camera.id, job.kind, job.event_id)
            return
        if self.ring.evicted and frames[0].time > job.start + timedelta(seconds=1):
            log.warning("camera %s: the ring buffer (%.0f MB) no longer holds %s; the clip starts at %s",
                        self.camera.id, self.ev.buffer_mb, job.start.isoformat(), frames[0].time.isoformat())
        if self.store.free_bytes() < self.ev.min_free_mb * 2**20:
            self.disk_full += 1
            log.error("evidence disk nearly full (%s): not writing the clip of %s", self.ev.root, job.event_id)
            return
        with self._lock:
            event = self.latest[job.event_id]
        folder = self.store.folder_for(event.event_id, event.hall_id, event.started_at)
        titles = Titles(self.hall_name, self.camera.name or self.camera.id, self.window_names.get(event.window_id),
                        self.window_names)
        raw = [f.image() for f in frames]
        annotated = [annotate(img, f.time, f.people, self.camera, event, titles) for img, f in zip(raw, frames)]
        fps = self.camera.analysis_fps
        names = {f"{job.kind}_raw.mp4": raw, f"{job.kind}_annotated.mp4": annotated}
        for name, images in names.items():
            encode_mp4(images, fps, folder / name)
        refs = {f"{job.kind}_clip": self.store.relative(folder / f"{job.kind}_annotated.mp4"),
                f"{job.kind}_clip_raw": self.store.relative(folder / f"{job.kind}_raw.mp4"),
                f"{job.kind}_clip_start": frames[0].time.isoformat()}
        if job.kind == "open":
            moment = min(range(len(frames)), key=lambda i: abs((frames[i].time - job.moment).total_seconds()))
            quality = [cv2.IMWRITE_JPEG_QUALITY, self.ev.jpeg_quality]
            cv2.imwrite(str(folder / "snapshot.jpg"), annotated[moment], quality)
            cv2.imwrite(str(folder / "snapshot_raw.jpg"), raw[moment], quality)
            refs["snapshot"] = self.store.relative(folder / "snapshot.jpg")
            refs["snapshot_raw"] = self.store.relative(folder / "snapshot_raw.jpg")
        files = [p.name for p in folder.iterdir() if p.is_file() and p.suffix in (".mp4", ".jpg")
                 and ".partial" not in p.name]
        camera_info = {"id": self.camera.id, "name": self.camera.name, "hall": self.camera.hall,
                       "source": self.camera.source, "analysis_fps": fps}
        manifest = write_manifest(folder, violation_to_wire(event), camera_info, files, self.key, self.ev.key_id, SOFTWARE)
        with self._lock:
            evidence = self.evidence.setdefault(job.event_id, {})
            evidence.update(refs)
            evidence["manifest"] = self.store.relative(manifest)
            update = self.latest[job.event_id].with_evidence(evidence)
        self.clips_written += 1
        self.publish(update)
