"""Recording a live H.264 camera as short segments, by stream copy (no decode, no encode).

One ffmpeg process per camera (its own connection to the camera, as Frigate records) copies the
video packets into ``segment_s``-long MPEG-TS segments, each starting on a keyframe, stamped with
the wall clock at which its packets arrived (``-use_wallclock_as_timestamps``), the clock the
analysis stamps its frames with. A CSV list gives each segment's start and end in epoch seconds;
a clip is the run of segments around a violation (keyframe granularity). Segments older than
``keep_s`` are deleted. A stream that is not H.264 (MJPEG, most USB cameras) is not recorded: the
camera's clips are then encoded from its analysed frames."""

from __future__ import annotations

import csv
import logging
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from configs.model import Camera
from streams.evidence.video import ffmpeg, probe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    path: Path
    start: float  # epoch seconds of its first packet
    end: float


class SegmentRecorder:
    def __init__(self, camera: Camera, folder: Path, segment_s: float, keep_s: float):
        self.camera, self.folder = camera, Path(folder)
        self.segment_s, self.keep_s = segment_s, keep_s
        self.mode = "probing"  # -> "copy" (recording segments) | "encode" (not H.264: no segments)
        self.restarts = 0
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, name=f"segments-{camera.id}", daemon=True)

    def start(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)  # another run's segments: not this clock's
        self.folder.mkdir(parents=True, exist_ok=True)
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
        """Closed segments on disk, oldest first (the first of each connection is left out: its
        start is not known to the packet)."""
        found: dict[Path, Segment] = {}
        for listing in sorted(self.folder.glob("*.csv")):
            try:
                rows = list(csv.reader(listing.read_text().splitlines()))
            except OSError:
                continue
            for row in rows:
                try:
                    name, start, end = row[0], float(row[1]), float(row[2])
                except (IndexError, ValueError):
                    continue  # a line being written
                path = self.folder / name
                if start > 1e9 and end > start and path.is_file():
                    found[path] = Segment(path, start, end)
        return sorted(found.values(), key=lambda s: s.start)

    def covering(self, start: float, end: float) -> list[Segment]:
        """The contiguous run of segments that overlaps [start, end] (the latest run if the
        recording restarted inside the window)."""
        run: list[Segment] = []
        for segment in self.segments():
            if segment.end <= start or segment.start >= end:
                continue
            if run and segment.start - run[-1].end > 1.0:
                run = []  # a gap: the connection dropped
            run.append(segment)
        return run

    def covered_until(self) -> float:
        segments = self.segments()
        return segments[-1].end if segments else 0.0

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
                    "camera %s sends %s, not H.264: its clips are encoded from the analysed frames",
                    self.camera.id,
                    info.codec,
                )
                return
            self.mode = "copy"
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
        if self.camera.source.startswith("rtsp"):
            cmd += ["-rtsp_transport", self.camera.rtsp_transport]
        keep = int(self.keep_s / self.segment_s) + 5
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
            str(keep),
            str(self.folder / f"{run}-%06d.ts"),
        ]
        log_file = self.folder / "ffmpeg.log"
        with log_file.open("wb") as errors:
            self._process = process = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
            )
        stall = max(3 * self.segment_s + 10, self.camera.stall_s)
        last_growth, newest, wrote = time.monotonic(), -1, False
        while process.poll() is None and not self._stop.wait(1.0):
            self._prune()
            # Progress is the newest segment's number (a count would stand still once pruning starts).
            latest = max((int(p.stem.rsplit("-", 1)[1]) for p in self.folder.glob(f"{run}-*.ts")), default=-1)
            if latest != newest:
                last_growth, newest, wrote = time.monotonic(), latest, wrote or latest > 0
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
        cutoff = time.time() - self.keep_s
        for path in self.folder.glob("*.ts"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
        for listing in self.folder.glob("*.csv"):
            run = listing.stem
            if not any(self.folder.glob(f"{run}-*.ts")):
                listing.unlink(missing_ok=True)
