"""Recording a live H.264 or H.265 camera as short segments, by stream copy (no decode, no encode).

One ffmpeg process per camera (its own connection to the camera, as Frigate records) copies the
video packets into ``segment_s``-long MPEG-TS segments, each starting on a keyframe, stamped with
the wall clock at which its packets arrived (``-use_wallclock_as_timestamps``), the clock the
analysis stamps its frames with. Each run's CSV listing gives every segment's start and end
(``streams.evidence.recordings`` reads them): a violation's clip is the run of segments around it,
and an officer may cut any span still retained (视频回溯). Segments are kept ``keep_s`` (the
camera's ``retain_h``, at least what the clips need), across restarts of the pipeline, and deleted
oldest first, across all cameras, whenever the disk's free space falls under the evidence guard.
A stream with nothing to copy (MJPEG, most USB cameras) is not recorded: the camera's clips are then
encoded from its analysed frames.

B-frames (rare in IP cameras, whose default group of pictures is IPPP; common in encoders set for
size): FFmpeg gives the first packet of such an RTSP stream no timestamp, and the MPEG-TS muxer
refuses it, so no segment was ever written. For these streams the packets read while probing are
dropped (``-fflags +nobuffer``); the first segment of a run then starts mid-GOP and is listed from
time 0, which the index leaves out. Every packet is stamped with its arrival, in decoding order, so
within a group of B-frames the recorded times are not the display order: a player that orders
frames by time may show a group's frames out of order. Turn B-frames off on the camera where the
setting exists."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path

from configs.model import Camera
from streams.evidence.recordings import Segment, SegmentIndex
from streams.evidence.video import ffmpeg, probe

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 600.0


class SegmentRecorder:
    def __init__(self, camera: Camera, folder: Path, segment_s: float, keep_s: float, min_free_bytes: float = 0):
        self.camera, self.folder = camera, Path(folder)
        self.segment_s, self.keep_s = segment_s, keep_s
        self.min_free_bytes = min_free_bytes
        self.index = SegmentIndex(self.folder)
        self._index_lock = threading.Lock()
        self._swept = time.time()
        self.pruned_for_space = 0  # segments deleted before their time because the disk was nearly full
        self.mode = "probing"  # -> "copy" (recording segments) | "encode" (nothing to copy: no segments)
        self.codec = ""  # the stream's, once probed ("h264" | "hevc")
        self.b_frames = 0  # the stream's reordering depth, once probed (0: no B-frames)
        self.restarts = 0
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, name=f"segments-{camera.id}", daemon=True)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)  # an earlier run's segments stay: same wall clock
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        process = self._process
        if process is not None and process.poll() is None:
            try:
                process.stdin.write(b"q")  # ffmpeg closes the open segment cleanly
                process.stdin.close()
                process.wait(timeout=5)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                process.kill()
        self._thread.join(timeout=10)

    # -- reading (the clip writer) ---------------------------------------------------------------
    def segments(self) -> list[Segment]:
        """Closed segments on disk, oldest first."""
        with self._index_lock:
            return self.index.segments()

    def covering(self, start: float, end: float) -> list[Segment]:
        with self._index_lock:
            return self.index.covering(start, end)

    def covered_until(self) -> float:
        with self._index_lock:
            return self.index.covered_until()

    # -- the recording thread --------------------------------------------------------------------
    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            info = probe(
                self.camera.source, timeout_s=max(15.0, self.camera.stall_s), rtsp_transport=self.camera.rtsp_transport
            )
            if info is None:
                failures += 1
                self._stop.wait(min(60.0, 2.0**failures))
                continue
            if not info.copyable:
                self.mode = "encode"
                log.info(
                    "camera %s sends %s, neither H.264 nor H.265: its clips are encoded from the analysed frames",
                    self.camera.id,
                    info.codec,
                )
                return
            self.codec, self.mode = info.codec, "copy"
            if info.b_frames and not self.b_frames:
                log.warning(
                    "camera %s sends B-frames: recorded by stream copy with arrival times, which may show a "
                    "group's frames out of order in some players; turn B-frames off on the camera",
                    self.camera.id,
                )
            self.b_frames = info.b_frames
            if self._record():
                failures = 0
            else:
                failures += 1
            if not self._stop.is_set():
                self.restarts += 1
                self._stop.wait(min(60.0, 2.0**failures))

    def _record(self) -> bool:
        """One ffmpeg run, until it ends, stalls or we stop; True if it wrote segments."""
        run = f"{int(time.time() * 1000)}"
        cmd = [ffmpeg(), "-loglevel", "error", "-use_wallclock_as_timestamps", "1"]
        if self.b_frames:
            cmd += ["-fflags", "+nobuffer"]  # the first packet, buffered while probing, has no timestamp
        if self.camera.source.startswith("rtsp"):
            cmd += ["-rtsp_transport", self.camera.rtsp_transport]
        cmd += [
            "-i",
            self.camera.source,
            "-map",
            "0:v:0",
            "-c",
            "copy",
            "-copyts",
            "-f",
            "segment",
            "-segment_time",
            f"{self.segment_s:g}",
            "-segment_format",
            "mpegts",
            "-reset_timestamps",
            "1",
            "-segment_list",
            str(self.folder / f"{run}.csv"),
            "-segment_list_type",
            "csv",
            "-segment_list_size",
            "0",  # appended line by line, never rewritten (a day's listing is read incrementally)
            str(self.folder / f"{run}-%06d.ts"),
        ]
        log_file = self.folder / "ffmpeg.log"
        with log_file.open("wb") as errors:
            self._process = process = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
            )
        stall = max(3 * self.segment_s + 10, self.camera.stall_s)
        listing = self.folder / f"{run}.csv"
        last_growth, listed, wrote = time.monotonic(), 0, False
        while process.poll() is None and not self._stop.wait(1.0):
            self._prune()
            # Progress is this run's listing growing: one line per closed segment (a directory
            # listing would be a day's worth of files a second).
            size = listing.stat().st_size if listing.exists() else 0
            if size != listed:
                last_growth, listed, wrote = time.monotonic(), size, True
            elif time.monotonic() - last_growth > stall:
                log.warning("camera %s: segment recording stalled; restarting it", self.camera.id)
                process.kill()
        if process.poll() is None:
            return wrote
        process.wait()
        error = log_file.read_text(errors="replace").strip() if log_file.exists() else ""
        if not self._stop.is_set():
            log.warning("camera %s: segment recording ended (%s)", self.camera.id, error[-300:] or process.returncode)
        return wrote

    def _prune(self) -> None:
        """Segments past ``keep_s``, oldest first off the index; every ten minutes a sweep of the
        folder by file time as well (what no listing names: a run cut off mid-segment)."""
        now = time.time()
        cutoff = now - self.keep_s
        for segment in self.segments():
            if segment.end >= cutoff:
                break
            segment.path.unlink(missing_ok=True)
        if now - self._swept >= SWEEP_EVERY_S:
            self._swept = now
            for path in self.folder.glob("*.ts"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                except OSError:
                    continue
            for listing in self.folder.glob("*.csv"):
                if not any(self.folder.glob(f"{listing.stem}-*.ts")):
                    listing.unlink(missing_ok=True)
        if self.min_free_bytes > 0:
            self.pruned_for_space += make_room(self.folder.parent, self.min_free_bytes)


def make_room(recordings_root: Path, min_free_bytes: float, batch: int = 32) -> int:
    """Delete the oldest segments of any camera under ``recordings_root`` until the disk has
    ``min_free_bytes`` free (the evidence guard keeps clip writing for violations working); the
    number deleted. Every recorder calls it; they agree on what is oldest (the file's time)."""
    deleted = 0
    while shutil.disk_usage(recordings_root).free < min_free_bytes:
        oldest: list[tuple[float, Path]] = []
        for path in recordings_root.glob("*/*.ts"):
            try:
                oldest.append((path.stat().st_mtime, path))
            except OSError:
                continue
        if not oldest:
            return deleted
        for _, path in sorted(oldest)[: max(batch, len(oldest) // 100)]:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
