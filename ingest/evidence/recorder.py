"""Records the evidence of one camera's violations, off the analysis thread.

On open: the raw clip from ``pre_s`` before the violation's start (at most ``max_clip_s``) to
``post_s`` after it opened, its overlay data (``<kind>_overlay.json``: boxes, track ids, zones,
distances per frame), and a snapshot (raw and annotated) of the frame it opened on. On close of a
violation that lasted more than ``long_violation_s``: a clip and overlay around the close too.
The raw clip comes from the cheapest source the camera has (``clip_sources``: a stream copy of
the file or of recorded segments; frames encoded once only where no H.264 stream exists). The
camera thread only records what it saw (a few hundred bytes a frame) and, at an opening, keeps a
reference to that frame; a writer thread does the rest once the clip's end is available. When
done, the whole event is published again with the same ``event_id`` and its ``evidence`` filled
in (status = the latest known; the alert store merges it without reopening anything).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import cv2
import numpy as np

from configs.model import Camera, HallwatchConfig
from domain.events import Violation
from ingest.evidence.clip_sources import ClipSource
from ingest.evidence.overlay import Titles, overlay_data, stamp
from ingest.evidence.track_ring import TrackFrame, TrackRing
from streams.evidence.manifest import camera_entry, resolve_key, write_manifest
from streams.evidence.overlay import render
from streams.evidence.storage import LocalEvidenceStore
from streams.wire import encode

log = logging.getLogger(__name__)


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
    image: np.ndarray | None = field(default=None, repr=False)  # the frame it opened on (open)
    queued_at: float = field(default_factory=time.monotonic)


class EvidenceRecorder:
    def __init__(
        self,
        cfg: HallwatchConfig,
        camera: Camera,
        clips: ClipSource,
        publish: Callable[[Violation], None],
        executor: ThreadPoolExecutor | None = None,
    ):
        self.cfg, self.camera, self.clips, self.publish = cfg, camera, clips, publish
        self.ev = cfg.evidence
        self.store = LocalEvidenceStore(self.ev.root)
        self.key = resolve_key(self.ev.hmac_key)
        self.tracks = TrackRing(self.ev.max_clip_s + self.ev.post_s + 30)
        self.executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"evidence-{camera.id}")
        self.pending: list[ClipJob] = []
        self.latest: dict[str, Violation] = {}  # event_id -> latest state, while clips may still come
        self.evidence: dict[str, dict] = {}
        self._jobs: dict[str, int] = {}  # event_id -> clip jobs not yet written
        self.futures: list[Future] = []
        self.disk_full = 0
        self.clips_written = 0
        self.write_seconds: list[float] = []  # per clip job, for the evidence benchmark
        self.write_cpu_s: list[float] = []  # CPU of the writer thread per clip job (ffmpeg's own is its process')
        self.clip_methods: dict[str, int] = {}
        self.size: tuple[int, int] | None = None
        self.available_after_s: list[float] = []  # from a clip's end being analysed to its evidence published
        self._last_image: np.ndarray | None = None
        self._lock = threading.Lock()
        hall = cfg.hall(camera.hall)
        self.hall_name = hall.name
        self.window_names = {w.id: w.name or w.id for w in hall.windows}

    # -- called from the camera thread ---------------------------------------------------------
    def observe(self, when: datetime, index: int, people: tuple, image: np.ndarray | None) -> None:
        """Every analysed frame: what was seen; the image itself only where clips are encoded."""
        self.tracks.push(TrackFrame(when, index, people))
        if image is not None:
            self.size = (image.shape[1], image.shape[0])
            if self.clips.needs_frames and self.clips.ring is not None:
                self.clips.ring.push(when, index, image, people)
        self._last_image = image

    def on_violation(self, violation: Violation) -> None:
        eid = violation.event_id
        pre, post = timedelta(seconds=self.ev.pre_s), timedelta(seconds=self.ev.post_s)
        longest = timedelta(seconds=self.ev.max_clip_s)
        job = None
        if violation.is_open:
            opened = violation.opened_at
            start = max(violation.started_at - pre, opened - longest)
            job = ClipJob(eid, "open", start, opened + post, opened, self._last_image)
        elif violation.duration_s > self.ev.long_violation_s and violation.ended_at is not None:
            ended = violation.ended_at
            job = ClipJob(eid, "close", ended - pre, ended + post, ended)
        with self._lock:
            self.latest[eid] = violation
            if job is not None:
                self._jobs[eid] = self._jobs.get(eid, 0) + 1
            self._forget_if_done(eid)
        if job is not None:
            self.pending.append(job)

    def _forget_if_done(self, eid: str) -> None:
        """A closed event with no clip still to write needs nothing more here (under the lock)."""
        if not self._jobs.get(eid) and not self.latest[eid].is_open:
            self.latest.pop(eid, None)
            self.evidence.pop(eid, None)
            self._jobs.pop(eid, None)

    def on_frame(self, t: datetime) -> None:
        ready = [job for job in self.pending if job.end <= t and self.clips.ready(job.end)]
        for job in ready:
            self.pending.remove(job)
            self.futures.append(self.executor.submit(self._write, job))
        self.futures = [f for f in self.futures if not f.done()]

    def finish(self, timeout_s: float = 300) -> None:
        """End of stream: write every pending clip with what exists (a live recording gets a
        segment's time to close its last one), then wait for the writer and stop recording."""
        deadline = time.monotonic() + self.ev.segment_s + 3
        while self.pending and time.monotonic() < deadline and not all(self.clips.ready(j.end) for j in self.pending):
            time.sleep(0.2)
        for job in self.pending:
            self.futures.append(self.executor.submit(self._write, job))
        self.pending.clear()
        for future in self.futures:
            future.result(timeout=timeout_s)
        self.futures.clear()
        self.clips.close()

    # -- on the writer thread ---------------------------------------------------------------------
    def _write(self, job: ClipJob) -> None:
        _lower_thread_priority()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            self._write_clip(job)
            self.write_seconds.append(time.perf_counter() - started)
            self.write_cpu_s.append(time.thread_time() - cpu)
        except Exception:
            log.exception("camera %s: evidence for %s failed", self.camera.id, job.event_id)
        finally:
            with self._lock:
                self._jobs[job.event_id] = self._jobs.get(job.event_id, 1) - 1
                self._forget_if_done(job.event_id)

    def _write_clip(self, job: ClipJob) -> None:
        frames = self.tracks.between(job.start, job.end)
        if self.store.free_bytes() < self.ev.min_free_mb * 2**20:
            self.disk_full += 1
            log.error("evidence disk nearly full (%s): not writing the clip of %s", self.ev.root, job.event_id)
            return
        with self._lock:
            event = self.latest[job.event_id]
        folder = self.store.folder_for(event.event_id, event.hall_id, event.started_at)
        titles = Titles(
            self.hall_name,
            self.camera.name or self.camera.id,
            self.window_names.get(event.window_id),
            self.window_names,
        )
        clip_path = folder / f"{job.kind}_raw.mp4"
        clip = self.clips.write(job.start, job.end, frames, clip_path)
        if clip is None:
            log.warning("camera %s: no video for the %s clip of %s", self.camera.id, job.kind, job.event_id)
            return
        self.clip_methods[clip.method] = self.clip_methods.get(clip.method, 0) + 1
        size = self.size or tuple(self.camera.frame_size or (1280, 720))
        shown = self.tracks.between(clip.start, job.end)
        overlay = overlay_data(self.camera, event, titles, shown, clip.start, size, clip_path.name)
        overlay_path = folder / f"{job.kind}_overlay.json"
        overlay_path.write_text(json.dumps(overlay, ensure_ascii=False, separators=(",", ":")))
        refs = {
            f"{job.kind}_clip": self.store.relative(clip_path),
            f"{job.kind}_overlay": self.store.relative(overlay_path),
            f"{job.kind}_clip_start": clip.start.isoformat(),
        }
        if job.kind == "open" and job.image is not None:
            at = stamp(job.moment)  # the opening frame's entry in the clip's overlay
            frame = next((f for f in overlay["frames"] if f["at"] == at), None)
            quality = [cv2.IMWRITE_JPEG_QUALITY, self.ev.jpeg_quality]
            cv2.imwrite(str(folder / "snapshot.jpg"), render(job.image, overlay, frame), quality)
            cv2.imwrite(str(folder / "snapshot_raw.jpg"), job.image, quality)
            job.image = None
            refs["snapshot"] = self.store.relative(folder / "snapshot.jpg")
            refs["snapshot_raw"] = self.store.relative(folder / "snapshot_raw.jpg")
        files = [
            p.name
            for p in folder.iterdir()
            if p.is_file()
            and p.suffix in (".mp4", ".jpg", ".json")
            and ".partial" not in p.name
            and p.name != "manifest.json"
        ]
        manifest = write_manifest(folder, encode(event), camera_entry(self.camera), files, self.key, self.ev.key_id)
        with self._lock:
            evidence = self.evidence.setdefault(job.event_id, {})
            evidence.update(refs)
            evidence["manifest"] = self.store.relative(manifest)
            update = self.latest[job.event_id].with_evidence(evidence)
        self.clips_written += 1
        self.available_after_s.append(time.monotonic() - job.queued_at)
        self.publish(update)
