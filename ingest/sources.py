"""Frame sources: video files, live streams (RTSP/HTTP/USB) and ``mot:`` detection replays.

A source yields only the frames to analyse (sampled at ``analysis_fps``). Skipped frames are
``grab()``-ed, never decoded into images, which is most of the cost saved on files.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from configs.model import Camera
from detectors.detections import Detections
from domain.base import COORDINATE_LIMIT
from ingest.frames import Frame


class SourceError(RuntimeError):
    """The source cannot be opened or stopped delivering frames."""


@dataclass
class Sampler:
    """Decides which frames to analyse so the analysed rate stays at ``analysis_fps``."""

    analysis_fps: float
    next_t: float = field(default=float("-inf"))

    def take(self, t: float) -> bool:
        if t + 1e-9 < self.next_t:
            return False
        period = 1.0 / self.analysis_fps
        # Stay on the grid of period multiples so the rate does not drift with jitter;
        # restart the grid after a gap longer than one period.
        self.next_t = t + period if self.next_t + period <= t else self.next_t + period
        return True


@dataclass
class SourceStats:
    """Counters read by the watchdog and the heartbeat."""

    frames_in: int = 0
    frames_analysed: int = 0  # handed to the analysis (counted by the camera's worker)
    frames_dropped: int = 0  # taken for analysis, then dropped for a newer frame (a live camera, analysis behind)
    last_frame_monotonic: float | None = None
    last_frame_time: datetime | None = None


def media_origin(camera: Camera, override: datetime | None, tz: ZoneInfo) -> datetime:
    origin = override or camera.start_time
    if origin is None:
        origin = datetime.now(tz).replace(microsecond=0)
    if origin.tzinfo is None:
        origin = origin.replace(tzinfo=tz)
    return origin


def is_file_source(source: str) -> bool:
    return source.startswith("mot:") or ("://" not in source and not source.isdigit())


# A live replay a little behind the clock (a busy moment) catches up; further behind, it was
# picked up late and skips to the present, as a camera joined mid-stream would.
LIVE_REPLAY_CATCH_UP_S = 2.0


class VideoFileSource:
    """A video file on the media clock ``origin + (frame - 1) / fps``. With ``realtime`` the frames
    are paced to the wall clock, as a camera would deliver them (demos, soak tests). A
    ``live_replay`` is anchored to the wall clock at its media origin: the frame of time T plays at
    T, and a source opened late joins at the present (frames already past are skipped), so any
    worker of a scale-out group can pick the camera up where it is."""

    live = False

    def __init__(
        self,
        camera: Camera,
        origin: datetime,
        stats: SourceStats,
        realtime: bool = False,
        live_replay: bool = False,
        stop: threading.Event | None = None,
    ):
        self.camera = camera
        self.stop = stop or threading.Event()  # a paced replay waits on it, so stopping is immediate
        self.origin = origin
        self.stats = stats
        self.path = camera.source
        self.realtime = realtime or live_replay
        self.live_replay = live_replay
        self._wall_start: float | None = None

    def _pace(self, t: float) -> bool:
        """Wait for the frame's moment; False: skip it (a live replay that is behind the clock)."""
        if not self.realtime:
            return True
        if self.live_replay:
            delay = self.origin.timestamp() + t - time.time()
            if delay < -LIVE_REPLAY_CATCH_UP_S:  # joined late (a take-over): start at the present
                return False
        else:
            if self._wall_start is None:
                self._wall_start = time.monotonic() - t
            delay = self._wall_start + t - time.monotonic()
        if delay > 0 and self.stop.wait(delay):
            return False
        return not self.stop.is_set()

    def frames(self) -> Iterator[Frame]:
        if not Path(self.path).exists():
            raise SourceError(f"video file not found: {self.path}")
        cap = cv2.VideoCapture(self.path, cv2.CAP_ANY, decoder_params(self.camera))
        if not cap.isOpened():
            raise SourceError(f"cannot open video file: {self.path}")
        try:
            fps = self.camera.source_fps or cap.get(cv2.CAP_PROP_FPS) or 25.0
            sampler = Sampler(self.camera.analysis_fps)
            index = 0
            while not self.stop.is_set() and cap.grab():
                index += 1
                t = (index - 1) / fps
                self.stats.frames_in += 1
                if not sampler.take(t) or not self._pace(t):
                    continue
                ok, image = cap.retrieve()
                if not ok:
                    continue
                yield self._frame(index, t, image)
        finally:
            cap.release()

    def _frame(self, index: int, t: float, image: np.ndarray | None, det: Detections | None = None) -> Frame:
        when = self.origin + timedelta(seconds=t)
        self.stats.last_frame_monotonic = time.monotonic()
        self.stats.last_frame_time = when
        return Frame(self.camera.id, index, when, image, det)


# A replayed MOT file's bounds: frames from 1 to four days at 25 frames/s, boxes within
# COORDINATE_LIMIT pixels of the image's origin, track ids from -1 (none).
MOT_MAX_FRAME = 10_000_000


def read_mot(path: str | os.PathLike[str]) -> dict[int, Detections]:
    """MOT rows ``frame,id,left,top,width,height,conf,...`` grouped by frame. A row that is not
    a box (not finite, a frame or id that is not a whole number in bounds, under a pixel wide
    or high, far off the image) is left out; a file that is not rows of numbers is a SourceError."""
    try:
        rows = np.loadtxt(path, delimiter=",", ndmin=2, usecols=range(7))
    except (ValueError, IndexError) as error:
        raise SourceError(f"MOT file {path}: not rows of at least 7 numbers ({error})") from None
    out: dict[int, Detections] = {}
    if rows.size == 0:
        return out
    with np.errstate(invalid="ignore"):
        whole = (rows[:, :2] == np.round(rows[:, :2])).all(axis=1)
        rows = rows[
            np.isfinite(rows).all(axis=1)
            & whole
            & (rows[:, 0] >= 1)
            & (rows[:, 0] <= MOT_MAX_FRAME)
            & (rows[:, 1] >= -1)
            & (rows[:, 1] <= np.iinfo(np.int32).max)
            & (rows[:, 4] >= 1)
            & (rows[:, 5] >= 1)
            & (np.abs(rows[:, 2:6]) <= COORDINATE_LIMIT).all(axis=1)
        ]
    for frame in np.unique(rows[:, 0]).astype(int):
        sel = rows[rows[:, 0] == frame]
        xyxy = np.column_stack([sel[:, 2], sel[:, 3], sel[:, 2] + sel[:, 4], sel[:, 3] + sel[:, 5]])
        out[int(frame)] = Detections(xyxy, sel[:, 6].astype(float), sel[:, 1].astype(int))
    return out


class MotReplaySource(VideoFileSource):
    """Replays detections from a MOT file; frames without rows are still analysed (nobody seen)."""

    def __init__(
        self,
        camera: Camera,
        origin: datetime,
        stats: SourceStats,
        realtime: bool = False,
        live_replay: bool = False,
        stop: threading.Event | None = None,
    ):
        super().__init__(camera, origin, stats, realtime, live_replay, stop)
        self.path = camera.source.removeprefix("mot:")

    def frames(self) -> Iterator[Frame]:
        if not Path(self.path).exists():
            raise SourceError(f"MOT file not found: {self.path}")
        by_frame = read_mot(self.path)
        last = max(by_frame, default=0)
        fps = self.camera.source_fps or 25.0
        sampler = Sampler(self.camera.analysis_fps)
        for index in range(1, last + 1):
            if self.stop.is_set():
                return
            t = (index - 1) / fps
            self.stats.frames_in += 1
            if sampler.take(t) and self._pace(t):
                yield self._frame(index, t, None, by_frame.get(index, Detections.empty()))


def decoder_params(camera: Camera) -> list[int]:
    """OpenCV open parameters for the camera's decoder threads (``camera.decode_threads``; 0: FFmpeg's choice)."""
    return [cv2.CAP_PROP_N_THREADS, camera.decode_threads] if camera.decode_threads else []


# FFmpeg's stream probe for live sources: half a second and 512 KiB (a 1080p keyframe) instead of
# its default 5 s; 0.7 s to open a 7 fps RTSP camera instead of 4.0 s.
FAST_PROBE = ("analyzeduration;500000", "probesize;524288")


class LiveSource:
    """RTSP, HTTP(S) (MJPEG, HLS) or a USB device on the wall clock.

    Every frame is grabbed so the stream does not back up; only sampled ones are decoded. Reads
    time out after ``stall_s`` so a silent stream surfaces as a SourceError for the watchdog.
    """

    live = True

    def __init__(
        self,
        camera: Camera,
        tz: ZoneInfo,
        stats: SourceStats,
        clock: Callable[[], datetime] | None = None,
        transport: str = "tcp",
    ):
        self.camera = camera
        self.stats = stats
        self.clock = clock or (lambda: datetime.now(tz))
        self.transport = transport
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> cv2.VideoCapture:
        source = self.camera.source
        timeout_ms = int(self.camera.stall_s * 1000)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]
        params += decoder_params(self.camera)
        if source.isdigit():
            cap = cv2.VideoCapture(int(source))
        else:
            transport = [f"rtsp_transport;{self.transport}"] if source.startswith("rtsp") else []
            # A short probe first (the stream's parameters are in its first packets): FFmpeg's
            # default reads 5 s of stream before the first frame, and one process opens its
            # streams one after another — 20 cameras took 80 s to come online, now ~15 s
            # (benchmarks/bench_capacity.py --live). A stream that needs more gets the default.
            for options in ([*transport, *FAST_PROBE], transport):
                # OpenCV reads its FFmpeg options from the environment when it opens a stream.
                os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "|".join(options)
                started = time.monotonic()
                cap = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
                if cap.isOpened() or time.monotonic() - started > timeout_ms / 2000:
                    break  # open, or unreachable (timed out): a second try would only double the wait
                cap.release()
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open stream {source}")
        return cap

    def frames(self) -> Iterator[Frame]:
        cap = self.open()
        self._cap = cap
        sampler = Sampler(self.camera.analysis_fps)
        index = 0
        try:
            while True:
                if not cap.grab():
                    raise SourceError(f"stream {self.camera.source} stopped delivering frames")
                index += 1
                now = time.monotonic()
                self.stats.frames_in += 1
                self.stats.last_frame_monotonic = now
                if not sampler.take(now):
                    continue
                ok, image = cap.retrieve()
                if not ok:
                    continue
                when = self.clock()
                self.stats.last_frame_time = when
                yield Frame(self.camera.id, index, when, image)
        finally:
            cap.release()
            self._cap = None


def open_source(
    camera: Camera,
    tz: ZoneInfo,
    stats: SourceStats,
    start_override: datetime | None = None,
    realtime: bool = False,
    live_replay: bool = False,
    stop: threading.Event | None = None,
):
    """The source object for a camera's ``source`` string."""
    if camera.source.startswith("mot:"):
        return MotReplaySource(camera, media_origin(camera, start_override, tz), stats, realtime, live_replay, stop)
    if is_file_source(camera.source):
        return VideoFileSource(camera, media_origin(camera, start_override, tz), stats, realtime, live_replay, stop)
    return LiveSource(camera, tz, stats, transport=camera.rtsp_transport)
