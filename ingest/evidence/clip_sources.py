"""Where a camera's raw evidence clips come from, cheapest first:

- ``FileClips``: a video file (or a replayed one) is cut from the file itself: by stream copy from
  the keyframe at or before the clip's start when it is H.264 or H.265, else encoded once from the file.
- ``LiveClips``: a live H.264 or H.265 stream is recorded as segments by stream copy
  (``SegmentRecorder``); a clip joins the segments around the violation. Until the recording runs,
  and for streams with nothing to copy (USB, MJPEG), the analysed frames are kept in a JPEG ring
  and encoded once.
- ``FrameClips``: only the analysed frames exist (a missing or unreadable file): encode them once.

The camera thread only hands over what it already has; all cutting, joining and encoding runs
on the clip writer's thread and in ffmpeg's own processes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from configs.model import Camera, EvidenceConfig
from ingest.evidence.ring_buffer import FrameRing
from ingest.evidence.segments import SegmentRecorder
from ingest.evidence.track_ring import TrackFrame
from streams.evidence.recordings import recordings_folder
from streams.evidence.video import MediaInfo, cut, encode, join, keyframe_times, probe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clip:
    path: Path
    start: datetime  # the time of its first frame, on the analysis' clock
    method: str  # "copy" | "segments" | "encode"


class ClipSource:
    needs_frames = False  # the camera thread pushes JPEG frames into ``ring`` only when True
    ring: FrameRing | None = None

    def ready(self, end: datetime) -> bool:
        """Whether a clip up to ``end`` (which the analysis has passed) can be written now."""
        return True

    def write(self, start: datetime, end: datetime, frames: list[TrackFrame], out: Path) -> Clip | None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FrameClips(ClipSource):
    """The fallback: the analysed frames, JPEG in memory, encoded once at the analysis rate."""

    needs_frames = True

    def __init__(self, ring: FrameRing, fps: float):
        self.ring, self.fps = ring, fps

    def write(self, start: datetime, end: datetime, frames: list[TrackFrame], out: Path) -> Clip | None:
        buffered = self.ring.between(start, end)
        if not buffered:
            return None
        encode([f.image() for f in buffered], self.fps, out)
        return Clip(out, buffered[0].time, "encode")


def _runs(frames: list[TrackFrame]) -> list[list[TrackFrame]]:
    """Frames split where the frame number goes back (a replay looped: another pass of the file)."""
    runs: list[list[TrackFrame]] = []
    for frame in frames:
        if not runs or frame.index <= runs[-1][-1].index:
            runs.append([])
        runs[-1].append(frame)
    return runs


class FileClips(ClipSource):
    """Clips cut from the camera's source file. Frame ``i`` of the file is at ``(i - 1) /
    container fps`` in the file and at ``origin + (i - 1) / media fps`` on the analysis clock
    (``source_fps`` may override the container's rate)."""

    def __init__(self, path: str, info: MediaInfo, media_fps: float):
        self.path, self.info = path, info
        self.copy = info.copyable
        self.file_fps = info.fps or media_fps
        self.media_fps = media_fps
        self.keyframes = keyframe_times(path) if self.copy else np.zeros(0)
        if self.copy and not len(self.keyframes):
            self.copy = False

    def write(self, start: datetime, end: datetime, frames: list[TrackFrame], out: Path) -> Clip | None:
        runs = _runs(frames)
        if not runs:
            return None
        run = max(runs, key=len)  # the pass of the file that holds most of the window
        scale = self.file_fps / self.media_fps  # analysis seconds per file second
        ref = run[0]
        origin = ref.time - timedelta(seconds=(ref.index - 1) / self.media_fps)
        first = max(start, run[0].time)
        last = min(end, run[-1].time)
        position = max(0.0, (first - origin).total_seconds() / scale)
        if self.copy:
            at = self.keyframes[self.keyframes <= position + 1e-6]
            position = float(at[-1]) if len(at) else float(self.keyframes[0])
        else:
            position = np.floor(position * self.file_fps + 1e-6) / self.file_fps
        end_position = (last - origin).total_seconds() / scale
        duration = end_position - position + 0.5 / self.file_fps
        cut(self.path, position, duration, out, copy=self.copy, time_scale=scale, codec=self.info.codec)
        return Clip(out, origin + timedelta(seconds=position * scale), "copy" if self.copy else "encode")


class LiveClips(ClipSource):
    """A live camera: segments by stream copy when it sends H.264 or H.265, its analysed frames otherwise."""

    def __init__(self, recorder: SegmentRecorder, ring: FrameRing, fps: float, segment_s: float):
        self.recorder, self.ring = recorder, ring
        self.frames = FrameClips(ring, fps)
        self.segment_s = segment_s
        self._covered = 0.0
        self._looked_at = 0.0  # monotonic time the recording was last asked whether it has begun

    @property
    def needs_frames(self) -> bool:
        """Frames are kept (JPEG, a few ms each) only until the first segment is written: asked
        of the recording at most once a second, not only when a clip is due (a camera with no
        violation yet would otherwise encode every frame for nothing)."""
        if self.recorder.mode != "copy":
            return True
        if self._covered == 0.0 and time.monotonic() - self._looked_at >= 1.0:
            self._looked_at = time.monotonic()
            self._covered = self.recorder.covered_until()
        return self._covered == 0.0

    def ready(self, end: datetime) -> bool:
        if self.recorder.mode != "copy":
            return True
        if self._covered < end.timestamp():
            self._covered = self.recorder.covered_until()
        return self._covered >= end.timestamp()

    def write(self, start: datetime, end: datetime, frames: list[TrackFrame], out: Path) -> Clip | None:
        segments = self.recorder.covering(start.timestamp(), end.timestamp()) if self.recorder.mode == "copy" else []
        if segments and segments[-1].end >= end.timestamp() - self.segment_s:
            if segments[0].start > start.timestamp() + self.segment_s:  # recording began after the clip's start
                log.info(
                    "camera %s: the recording starts %.1f s into the clip's window",
                    self.recorder.camera.id,
                    segments[0].start - start.timestamp(),
                )
            join([s.path for s in segments], out, self.recorder.codec)
            return Clip(out, datetime.fromtimestamp(segments[0].start, UTC).astimezone(start.tzinfo), "segments")
        if self.recorder.mode == "copy":
            log.warning(
                "camera %s: the recorded segments do not cover %s–%s; encoding the analysed frames",
                self.recorder.camera.id,
                start.isoformat(),
                end.isoformat(),
            )
        return self.frames.write(start, end, frames, out)

    def close(self) -> None:
        self.recorder.stop()


def clip_source(camera: Camera, ev: EvidenceConfig) -> ClipSource:
    """The cheapest way to get this camera's raw clips."""
    source = camera.source
    frames = lambda: FrameRing(int(ev.buffer_mb * 2**20), ev.jpeg_quality)  # noqa: E731 - only where frames are kept
    if "://" not in source and not source.isdigit():  # a file
        info = probe(source) if ev.stream_copy and Path(source).is_file() else None
        media_fps = (camera.source_fps or info.fps) if info is not None else 0
        if media_fps:
            return FileClips(source, info, media_fps)
        return FrameClips(frames(), camera.analysis_fps)
    if source.isdigit() or not ev.stream_copy:  # a USB device: no compressed stream to copy
        return FrameClips(frames(), camera.analysis_fps)
    for_clips = ev.max_clip_s + ev.post_s + 4 * ev.segment_s + 30
    recorder = SegmentRecorder(
        camera,
        recordings_folder(ev.root, camera.id),
        ev.segment_s,
        max(ev.retain_h * 3600, for_clips),
        2 * ev.min_free_mb * 2**20,  # recordings give way before violation clips stop (min_free_mb)
    )
    recorder.start()
    return LiveClips(recorder, frames(), camera.analysis_fps, ev.segment_s)
