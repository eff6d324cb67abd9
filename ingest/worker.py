"""One worker per camera: reads its source, hands frames on, and survives the real world.

The watchdog (after Frigate's): a stream that stalls for ``stall_s`` or drops is reopened with
exponential back-off (1 s doubling to 60 s); the camera is ``online`` while frames flow at rate,
``degraded`` when they are late or slow, ``offline`` while it cannot be read. Counters feed the
heartbeat, from which coverage is computed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from configs.model import Camera
from ingest.frames import Frame
from ingest.prefetch import prefetch
from ingest.sources import SourceError, SourceStats, open_source

log = logging.getLogger(__name__)


class CameraStatus(str, Enum):
    online = "online"
    degraded = "degraded"
    offline = "offline"


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    max_s: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.max_s, self.initial_s * 2 ** max(0, failures - 1))


@dataclass
class RateWindow:
    """Frames per second over the time since the last ``sample``."""

    count: int = 0
    at: float = 0.0

    def sample(self, total: int, now: float) -> float:
        rate = (total - self.count) / (now - self.at) if self.at and now > self.at else 0.0
        self.count, self.at = total, now
        return rate


class CameraWorker:
    """Runs in its own thread; ``on_frame`` is called from that thread for every analysed frame,
    and ``on_offline`` (from the same thread) once a live camera has delivered no frame for longer
    than its ``stall_s``, before it delivers frames again."""

    def __init__(
        self,
        camera: Camera,
        tz: ZoneInfo,
        on_frame: Callable[[Frame], None],
        start_override: datetime | None = None,
        backoff: Backoff | None = None,
        realtime: bool = False,
        on_offline: Callable[[], None] | None = None,
        live_replay: bool = False,
    ):
        self.camera = camera
        self.tz = tz
        self.on_frame = on_frame
        self.on_offline = on_offline or (lambda: None)
        self.live_replay = live_replay
        self.offline_reported = True  # nothing to end before the first frame
        self.start_override = start_override
        self.realtime = realtime
        self.backoff = backoff or Backoff(camera.reconnect_initial_s, camera.reconnect_max_s)
        self.stats = SourceStats()
        self.reconnects = 0
        self.stalls = 0
        self.failures = 0  # consecutive failed attempts, reset by a frame
        self.status = CameraStatus.offline
        self.last_error: str | None = None
        self.ended = False  # a file or replay reached its end
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"camera-{camera.id}", daemon=True)
        self._rates = (RateWindow(), RateWindow())
        self._connected_at: float | None = None

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def _dropped(self, _frame: Frame) -> None:
        """A live camera's frame replaced by a newer one before the analysis was free."""
        self.stats.frames_dropped += 1

    def run(self) -> None:
        while not self.stop_event.is_set():
            source = open_source(
                self.camera, self.tz, self.stats, self.start_override, self.realtime, self.live_replay, self.stop_event
            )
            try:
                for frame in prefetch(source.frames(), newest=source.live, dropped=self._dropped):
                    if self.failures:
                        log.info("camera %s: frames flowing again", self.camera.id)
                    self.failures = 0
                    self.status = CameraStatus.online
                    self._connected_at = self._connected_at or time.monotonic()
                    self.offline_reported = False
                    self.stats.frames_analysed += 1
                    self.on_frame(frame)
                    if self.stop_event.is_set():
                        break
                if not source.live:
                    self.ended = True
                    break
                if self.stop_event.is_set():
                    break
                raise SourceError("stream ended")
            except SourceError as error:
                self._failed(str(error), stalled="stopped delivering" in str(error))
                if not source.live:  # a missing or corrupt file will not heal by retrying
                    break
                delay = self.backoff.delay(self.failures)
                log.warning("camera %s: %s; reconnecting in %.0f s", self.camera.id, error, delay)
                self._wait(delay)
                self.reconnects += 1
            except Exception as error:
                log.exception("camera %s: analysis failed", self.camera.id)
                self._failed(f"{type(error).__name__}: {error}", stalled=False)
                self._wait(self.backoff.delay(self.failures))
                self.reconnects += 1
        self.status = CameraStatus.offline

    def _wait(self, seconds: float) -> None:
        """The back-off before a reconnect, watching the gap since the last frame meanwhile."""
        deadline = time.monotonic() + seconds
        while not self.stop_event.is_set():
            self._check_gap()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.stop_event.wait(min(0.25, left))

    def _check_gap(self) -> None:
        last = self.stats.last_frame_monotonic
        if self.offline_reported or last is None or time.monotonic() - last <= self.camera.stall_s:
            return
        self.offline_reported = True
        log.warning(
            "camera %s: no frame for more than %.0f s: its open violations end at the last frame seen",
            self.camera.id,
            self.camera.stall_s,
        )
        try:
            self.on_offline()
        except Exception:
            log.exception("camera %s: closing at the outage failed", self.camera.id)

    def _failed(self, message: str, stalled: bool) -> None:
        self.failures += 1
        self.stalls += int(stalled)
        self.last_error = message
        self.status = CameraStatus.offline
        self._connected_at = None

    def health(self, now: float | None = None) -> dict:
        """Status and rates since the previous call (the heartbeat period)."""
        now = time.monotonic() if now is None else now
        fps_in = self._rates[0].sample(self.stats.frames_in, now)
        fps_analysed = self._rates[1].sample(self.stats.frames_analysed, now)
        status = self.status
        last = self.stats.last_frame_monotonic
        if status is CameraStatus.online and not self.ended:
            late = last is None or now - last > min(5.0, self.camera.stall_s / 2)
            slow = (
                self._connected_at is not None
                and now - self._connected_at > 10
                and fps_analysed < 0.5 * self.camera.analysis_fps
            )
            if late or slow:
                status = CameraStatus.degraded
        if self.ended:
            status = CameraStatus.offline
        return {
            "status": status.value,
            "fps_in": round(fps_in, 2),
            "fps_analysed": round(fps_analysed, 2),
            "frames_in": self.stats.frames_in,
            "frames_analysed": self.stats.frames_analysed,
            "last_frame_at": self.stats.last_frame_time.isoformat() if self.stats.last_frame_time else None,
            "reconnects": self.reconnects,
            "stalls": self.stalls,
            "error": self.last_error[:500] if self.last_error else None,
            "ended": self.ended,
        }
