"""The running pipeline: a worker per camera, their analyses, heartbeats, and the publishers."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from configs.model import HallwatchConfig
from ingest.analysis import CameraAnalysis
from detectors.batching import BatchingDetector
from detectors.factory import build_detector
from ingest.metrics import PipelineMetrics
from ingest.worker import CameraWorker
from detectors.rules.events import Violation
from streams import messages
from streams.absence_book import AbsenceBook
from streams.publisher import JsonLinesWriter, NullPublisher, Publisher
from streams.wire import violation_to_wire

log = logging.getLogger(__name__)


class Pipeline:
    def __init__(self, cfg: HallwatchConfig, events_out: Path | None = None, tracks_out: Path | None = None,
                 use_kafka: bool = True, start_override: datetime | None = None,
                 absences=None, publisher: Publisher | None = None, realtime: bool = False):
        self.cfg = cfg
        self.tz = ZoneInfo(cfg.timezone)
        self.publisher: Publisher = publisher or self._connect(use_kafka)
        self.events_out = JsonLinesWriter(events_out) if events_out else None
        if absences is None:
            absences = AbsenceBook(cfg.absences_file).all
        self.absences = absences
        needs_detector = any(not c.source.startswith("mot:") for c in cfg.cameras)
        self.last_health: dict[str, dict] = {}
        self.metrics = PipelineMetrics(self)
        detector = build_detector(cfg.detector) if needs_detector else None
        self.detector = (BatchingDetector(detector, on_batch=lambda s, n: self.metrics.inference_seconds.observe(s))
                         if detector is not None else None)
        if self.detector is not None:
            log.info("detector: %s", self.detector.name)
        self.analyses = {
            c.id: CameraAnalysis(cfg, c, self.detector, self._emit, tracks_out, self.absences, self._emit_update)
            for c in cfg.cameras
        }
        self.workers = {
            c.id: CameraWorker(c, self.tz, self.analyses[c.id].process, start_override, realtime=realtime,
                               on_offline=self.analyses[c.id].camera_offline)
            for c in cfg.cameras
        }
        self.violations = 0
        self.metrics.serve(cfg.metrics_port)

    def _connect(self, use_kafka: bool) -> Publisher:
        if not use_kafka:
            return NullPublisher()
        from streams.spool import SpoolingKafkaPublisher

        kafka = self.cfg.kafka
        log.info("publishing to Kafka at %s (spool: %s)", kafka.bootstrap_servers, kafka.spool_dir)
        return SpoolingKafkaPublisher(kafka.bootstrap_servers, kafka.spool_dir, int(kafka.spool_max_mb * 2**20),
                                      priority_topics=(kafka.topics.violations,), topics=kafka.topics)

    def _emit(self, violation: Violation) -> None:
        self.violations += violation.is_open
        log.info("violation %s %s %s zone=%s started=%s", violation.status, violation.type,
                 violation.reason, violation.zone_id, violation.started_at.isoformat())
        self._publish(violation)

    def _emit_update(self, violation: Violation) -> None:
        """The same event again, now with its evidence (see ingest/evidence/recorder.py)."""
        log.info("evidence ready for %s %s: %s", violation.type, violation.event_id, violation.evidence.get("manifest"))
        self._publish(violation)

    def _publish(self, violation: Violation) -> None:
        message = violation_to_wire(violation)
        self.publisher.publish(self.cfg.kafka.topics.violations, violation.hall_id, message)
        if self.events_out is not None:
            self.events_out.write(message)

    def publish_heartbeats(self) -> None:
        now = datetime.now(self.tz)
        for camera in self.cfg.cameras:
            health = self.last_health[camera.id] = self.workers[camera.id].health()
            beat = messages.heartbeat(self.cfg, camera, health, now)
            self.publisher.publish(self.cfg.kafka.topics.heartbeats, camera.id, beat)

    def run(self, stop: threading.Event) -> int:
        for worker in self.workers.values():
            worker.start()
        self.publish_heartbeats()
        interval = self.cfg.kafka.heartbeat_interval_s
        next_beat = time.monotonic() + interval
        while not stop.is_set():
            if all(not w.thread.is_alive() for w in self.workers.values()):
                break
            stop.wait(min(0.2, max(0.0, next_beat - time.monotonic())))
            if time.monotonic() >= next_beat:
                self.publish_heartbeats()
                next_beat += interval
        for worker in self.workers.values():
            worker.stop()
        for worker in self.workers.values():
            worker.thread.join(timeout=30)
        for analysis in self.analyses.values():
            analysis.finish()
        self.publish_heartbeats()
        self.publisher.flush()
        self.publisher.close()
        if self.events_out:
            self.events_out.close()
        failed = [w.camera.id for w in self.workers.values() if not w.ended and w.last_error and not stop.is_set()]
        for camera_id in failed:
            log.error("camera %s failed: %s", camera_id, self.workers[camera_id].last_error)
        log.info("done: %d frames analysed, %d violations",
                 sum(a.frames for a in self.analyses.values()), self.violations)
        return 1 if failed else 0
