"""The running pipeline: a worker per camera, their analyses, heartbeats, and the publishers.

Alone (the default), a pipeline runs every camera of its config. With ``group`` it is one worker
of a scale-out group: Kafka's consumer group gives it a share of the cameras
(``ingest/membership.py``), each camera's rule state is checkpointed to a compacted topic when an
episode starts, opens or ends (and every few seconds), and a camera taken over from another
worker — a dead one included — continues from its latest checkpoint.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from configs.model import Camera, HallwatchConfig
from detectors.batching import BatchingDetector
from detectors.factory import build_detector
from domain.checkpoint import RuleCheckpoint
from domain.events import ServiceMinute, Violation
from ingest.analysis import CameraAnalysis
from ingest.frames import Frame
from ingest.metrics import PipelineMetrics
from ingest.worker import CameraWorker
from streams import messages
from streams.absence_book import AbsenceBook
from streams.publisher import JsonLinesWriter, NullPublisher, Publisher
from streams.wire import encode

log = logging.getLogger(__name__)
CHECKPOINT_EVERY_S = 5.0


class Pipeline:
    def __init__(
        self,
        cfg: HallwatchConfig,
        events_out: Path | None = None,
        tracks_out: Path | None = None,
        use_kafka: bool = True,
        start_override: datetime | None = None,
        absences=None,
        publisher: Publisher | None = None,
        realtime: bool = False,
        group: str | None = None,
        worker_id: str | None = None,
        measurements_out: Path | None = None,
    ):
        self.cfg = cfg
        self.tz = ZoneInfo(cfg.timezone)
        self.group = group
        self.worker_id = worker_id or f"{socket.gethostname()}-{id(self) % 100000}"
        self.use_kafka = use_kafka
        self.publisher: Publisher = publisher or self._connect(use_kafka)
        self.events_out = JsonLinesWriter(events_out) if events_out else None
        self.measurements_out = JsonLinesWriter(measurements_out) if measurements_out else None
        self.tracks_out, self.start_override, self.realtime = tracks_out, start_override, realtime
        self.feed = None
        if absences is None:
            absences = self._absences_source()
        self.absences = absences
        self.cameras: dict[str, Camera] = {c.id: c for c in cfg.cameras}
        needs_detector = any(not c.source.startswith("mot:") for c in cfg.cameras)
        self.last_health: dict[str, dict] = {}
        self.metrics = PipelineMetrics(self)
        detector = build_detector(cfg.detector) if needs_detector else None
        self.detector = (
            BatchingDetector(
                detector,
                max_batch=cfg.detector.max_batch,
                on_batch=lambda s, n: self.metrics.inference_seconds.observe(s),
            )
            if detector is not None
            else None
        )
        if self.detector is not None:
            log.info("detector: %s", self.detector.name)
        self.analyses: dict[str, CameraAnalysis] = {}
        self.workers: dict[str, CameraWorker] = {}
        self._lock = threading.RLock()
        self._checkpoints: dict[str, tuple[tuple, float]] = {}  # camera -> (structure, monotonic time)
        self._assigned_at: dict[str, float] = {}
        self.handovers: list[float] = []  # seconds from assignment to the camera's first analysed frame
        self.membership = None
        self.rule_state = None
        if group is None:
            for camera in cfg.cameras:
                self._add_camera(camera)
        else:
            from streams.rule_state import RuleStateStore

            self.rule_state = RuleStateStore(
                cfg.kafka.bootstrap_servers, cfg.kafka.topics.rule_state, self.metrics.checkpoints_unusable.inc
            )
        self.violations = 0
        self._stopping = False
        self._finished: set[str] = set()  # cameras whose input ended and whose episodes were closed
        self._frames_elsewhere = 0  # frames analysed here by cameras since handed to another worker

    # -- wiring ------------------------------------------------------------------------------------
    def _connect(self, use_kafka: bool) -> Publisher:
        if not use_kafka:
            return NullPublisher()
        from streams.spool import SpoolingKafkaPublisher

        kafka = self.cfg.kafka
        # Workers of a group share one config: each keeps its own spool under the configured folder.
        spool = Path(kafka.spool_dir) / self.worker_id if self.group else Path(kafka.spool_dir)
        log.info("publishing to Kafka at %s (spool: %s)", kafka.bootstrap_servers, spool)
        return SpoolingKafkaPublisher(
            kafka.bootstrap_servers,
            spool,
            int(kafka.spool_max_mb * 2**20),
            priority_topics=(kafka.topics.violations, kafka.topics.service_minutes),
            topics=kafka.topics,
        )

    def _absences_source(self):
        """The register file (an import format), and with Kafka the absences topic every worker follows."""
        book = AbsenceBook(self.cfg.absences_file)
        if not self.use_kafka:
            return book.all
        from streams.absence_feed import AbsenceFeed

        self.feed = AbsenceFeed(self.cfg.kafka.bootstrap_servers, self.cfg.kafka.topics.absences)
        return lambda: [*book.all(), *self.feed.all()]

    def _add_camera(self, camera: Camera, state: RuleCheckpoint | None = None) -> CameraWorker:
        analysis = CameraAnalysis(
            self.cfg,
            camera,
            self.detector,
            self._emit,
            self.tracks_out,
            self.absences,
            self._emit_update,
            self._emit_minute,
            append_tracks=self.group is not None,
        )
        if state is not None:
            try:
                analysis.rules.restore(state)
            except Exception as error:  # noqa: BLE001 - a bad checkpoint costs its camera's continuity only
                log.warning("camera %s: checkpoint unusable (%s: %s); starting afresh", camera.id,
                            type(error).__name__, error)  # fmt: skip
                self.metrics.checkpoints_unusable.inc()
                analysis.release()
                return self._add_camera(camera)
        worker = CameraWorker(
            camera,
            self.tz,
            self._on_frame(camera.id, analysis),
            self.start_override,
            realtime=self.realtime,
            on_offline=analysis.camera_offline,
            live_replay=self.group is not None,
        )
        with self._lock:
            self.analyses[camera.id], self.workers[camera.id] = analysis, worker
        return worker

    def _on_frame(self, camera_id: str, analysis: CameraAnalysis):
        def process(frame: Frame) -> None:
            analysis.process(frame)
            if self.group is not None:
                self._maybe_checkpoint(camera_id, analysis)

        return process

    # -- scale-out ---------------------------------------------------------------------------------
    def _maybe_checkpoint(self, camera_id: str, analysis: CameraAnalysis, force: bool = False) -> None:
        structure = analysis.rules.structure()
        if camera_id in self._assigned_at:
            self.handovers.append(time.monotonic() - self._assigned_at.pop(camera_id))
            self.metrics.handover_seconds.observe(self.handovers[-1])
        last = self._checkpoints.get(camera_id)
        now = time.monotonic()
        if force or last is None or last[0] != structure or now - last[1] >= CHECKPOINT_EVERY_S:
            try:
                state = analysis.rules.snapshot()
            except ValueError as error:  # a state its message cannot carry: continuity is lost, analysis is not
                log.warning("camera %s: no checkpoint (%s)", camera_id, str(error)[:200])
                return
            self.rule_state.save(camera_id, state)
            self._checkpoints[camera_id] = (structure, now)

    def _assign(self, camera_ids: list[str]) -> None:
        if self._stopping:  # leaving the group: the cameras go to whoever stays
            return
        states = self.rule_state.load(set(camera_ids)) if camera_ids else {}
        for camera_id in camera_ids:
            if camera_id in self.workers:
                continue
            log.info("camera %s: starting here%s", camera_id, " from its checkpoint" if camera_id in states else "")
            self._assigned_at[camera_id] = time.monotonic()
            self._add_camera(self.cameras[camera_id], states.get(camera_id)).start()

    def _revoke(self, camera_ids: list[str]) -> None:
        """Stop the cameras and checkpoint them: whoever gets them continues their episodes."""
        for camera_id in camera_ids:
            with self._lock:
                worker = self.workers.pop(camera_id, None)
                analysis = self.analyses.pop(camera_id, None)
            if worker is None:
                continue
            worker.stop()
            worker.thread.join(30)
            self._maybe_checkpoint(camera_id, analysis, force=True)
            analysis.release()
            self._frames_elsewhere += analysis.frames
            self._finished.discard(camera_id)
            self._checkpoints.pop(camera_id, None)
        if self.rule_state is not None:
            self.rule_state.flush()

    # -- publishing --------------------------------------------------------------------------------
    def _emit(self, violation: Violation) -> None:
        self.violations += violation.is_open
        log.info(
            "violation %s %s %s zone=%s started=%s",
            violation.status,
            violation.type,
            violation.reason,
            violation.zone_id,
            violation.started_at.isoformat(),
        )
        self._publish(violation)

    def _emit_update(self, violation: Violation) -> None:
        """The same event again, now with its evidence (see ingest/evidence/recorder.py)."""
        log.info("evidence ready for %s %s: %s", violation.type, violation.event_id, violation.evidence.get("manifest"))
        self._publish(violation)

    def _publish(self, violation: Violation) -> None:
        message = encode(violation)
        self.publisher.publish(self.cfg.kafka.topics.violations, violation.hall_id, message)
        if self.events_out is not None:
            self.events_out.write(message)

    def _emit_minute(self, minute: ServiceMinute) -> None:
        message = encode(minute)
        self.publisher.publish(self.cfg.kafka.topics.service_minutes, minute.hall_id, message)
        if self.measurements_out is not None:
            self.measurements_out.write(message)

    def publish_heartbeats(self) -> None:
        now = datetime.now(self.tz)
        with self._lock:
            workers = dict(self.workers)
        for camera_id, worker in workers.items():
            health = self.last_health[camera_id] = worker.health()
            beat = messages.heartbeat(self.cfg, worker.camera, {**health, "worker_id": self.worker_id}, now)
            self.publisher.publish(self.cfg.kafka.topics.heartbeats, camera_id, beat)

    # -- running -----------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> int:
        """Serve the metrics, then analyse until every source ended (files) or ``stop`` is set;
        in a group, create the topics it needs and join the group first."""
        self.metrics.serve(self.cfg.metrics_port)
        if self.group is None:
            for worker in self.workers.values():
                worker.start()
        else:
            from ingest.membership import CameraMembership
            from streams.topics import ensure_topics

            kafka = self.cfg.kafka
            ensure_topics(kafka.bootstrap_servers, kafka.topics, kafka.camera_partitions)
            self.membership = CameraMembership(
                kafka.bootstrap_servers,
                kafka.topics.cameras,
                self.group,
                self.worker_id,
                list(self.cameras),
                self._assign,
                self._revoke,
                kafka.worker_session_timeout_s,
            )
            self.membership.start()
            log.info("worker %s joined group %s", self.worker_id, self.group)
        self.publish_heartbeats()
        interval = self.cfg.kafka.heartbeat_interval_s
        next_beat = time.monotonic() + interval
        while not stop.is_set():
            if self.group is None and all(not w.thread.is_alive() for w in self.workers.values()):
                break
            stop.wait(min(0.2, max(0.0, next_beat - time.monotonic())))
            if self.group is not None:
                self._finish_ended()
            if time.monotonic() >= next_beat:
                self.publish_heartbeats()
                next_beat += interval
        return self._shut_down(stop)

    def _finish_ended(self) -> None:
        """In a group, a camera whose input ended (a file, a replay) closes its open violations as
        a single process does at the end of input, and its checkpoint says so."""
        with self._lock:
            ended = [
                c for c, w in self.workers.items() if w.ended and not w.thread.is_alive() and c not in self._finished
            ]
        for camera_id in ended:
            analysis = self.analyses[camera_id]
            analysis.finish()
            self._finished.add(camera_id)
            self._maybe_checkpoint(camera_id, analysis, force=True)

    def _shut_down(self, stop: threading.Event) -> int:
        self._stopping = True  # from now on no camera is taken on
        if self.group is not None:  # hand the cameras over: checkpoint, then leave the group
            self._revoke(list(self.workers))
            self.membership.stop()
            self.rule_state.close()
        for worker in self.workers.values():
            worker.stop()
        for worker in self.workers.values():
            worker.thread.join(timeout=30)
        for analysis in self.analyses.values():
            analysis.finish()
        self.publish_heartbeats()
        self.publisher.flush()
        self.publisher.close()
        if self.feed is not None:
            self.feed.close()
        for writer in (self.events_out, self.measurements_out):
            if writer is not None:
                writer.close()
        failed = [w.camera.id for w in self.workers.values() if not w.ended and w.last_error and not stop.is_set()]
        for camera_id in failed:
            log.error("camera %s failed: %s", camera_id, self.workers[camera_id].last_error)
        log.info(
            "done: %d frames analysed, %d violations",
            self._frames_elsewhere + sum(a.frames for a in self.analyses.values()),
            self.violations,
        )
        return 1 if failed else 0
