"""The pipeline's own Prometheus metrics, read from the workers at scrape time."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from configs.model import HallwatchConfig

log = logging.getLogger(__name__)


class PipelineState(Protocol):
    """What the metrics read of the running pipeline (``ingest.pipeline.Pipeline``) at scrape time."""

    cfg: HallwatchConfig
    worker_id: str
    workers: dict[str, Any]  # camera id -> CameraWorker
    analyses: dict[str, Any]  # camera id -> CameraAnalysis
    last_health: dict[str, dict[str, Any]]
    membership: Any  # CameraMembership in a group, else None
    publisher: Any


class PipelineCollector:
    def __init__(self, pipeline: PipelineState):
        self.pipeline = pipeline

    def collect(self):
        frames_in = CounterMetricFamily("hallwatch_pipeline_frames_in", "Frames read", labels=["camera"])
        analysed = CounterMetricFamily("hallwatch_pipeline_frames_analysed", "Frames analysed", labels=["camera"])
        dropped = CounterMetricFamily(
            "hallwatch_pipeline_frames_dropped",
            "Live frames taken for analysis and dropped for a newer one while the analysis was behind",
            labels=["camera"],
        )
        reconnects = CounterMetricFamily("hallwatch_pipeline_reconnects", "Stream reconnects", labels=["camera"])
        stalls = CounterMetricFamily("hallwatch_pipeline_stalls", "Streams that stalled", labels=["camera"])
        fps_in = GaugeMetricFamily(
            "hallwatch_pipeline_fps_in", "Frames read per second (last heartbeat period)", labels=["camera", "hall"]
        )
        fps_an = GaugeMetricFamily(
            "hallwatch_pipeline_fps_analysed",
            "Frames analysed per second (last heartbeat period)",
            labels=["camera", "hall"],
        )
        target = GaugeMetricFamily(
            "hallwatch_pipeline_analysis_fps_target", "Configured analysis_fps", labels=["camera", "hall"]
        )
        up = GaugeMetricFamily(
            "hallwatch_pipeline_camera_online", "1 online, 0.5 degraded, 0 offline", labels=["camera", "hall"]
        )
        for camera_id, worker in list(self.pipeline.workers.items()):
            hall = worker.camera.hall
            health = self.pipeline.last_health.get(camera_id, {})
            frames_in.add_metric([camera_id], worker.stats.frames_in)
            analysed.add_metric([camera_id], worker.stats.frames_analysed)
            dropped.add_metric([camera_id], worker.stats.frames_dropped)
            reconnects.add_metric([camera_id], worker.reconnects)
            stalls.add_metric([camera_id], worker.stalls)
            fps_in.add_metric([camera_id, hall], health.get("fps_in", 0.0))
            fps_an.add_metric([camera_id, hall], health.get("fps_analysed", 0.0))
            target.add_metric([camera_id, hall], worker.camera.analysis_fps)
            up.add_metric([camera_id, hall], {"online": 1.0, "degraded": 0.5}.get(str(health.get("status")), 0.0))
        yield from (frames_in, analysed, dropped, reconnects, stalls, fps_in, fps_an, target, up)
        worker = self.pipeline.worker_id
        owned = GaugeMetricFamily("hallwatch_pipeline_cameras_owned", "Cameras this worker runs", labels=["worker"])
        owned.add_metric([worker], len(self.pipeline.workers))
        yield owned
        membership = self.pipeline.membership
        rebalances = CounterMetricFamily(
            "hallwatch_pipeline_rebalances",
            "Scale-out: camera assignments changed (partitions gained or lost)",
            labels=["worker"],
        )
        rebalances.add_metric([worker], membership.rebalances if membership else 0)
        yield rebalances
        evidence = self.pipeline.cfg.evidence
        if evidence.enabled:
            import shutil
            from pathlib import Path

            root = Path(evidence.root)
            root.mkdir(parents=True, exist_ok=True)
            yield GaugeMetricFamily(
                "hallwatch_pipeline_evidence_disk_free_bytes",
                "Free bytes where evidence is written",
                value=shutil.disk_usage(root).free,
            )
            yield GaugeMetricFamily(
                "hallwatch_pipeline_evidence_disk_min_free_bytes",
                "Free bytes below which clip writing stops",
                value=evidence.min_free_mb * 2**20,
            )
            full = CounterMetricFamily(
                "hallwatch_pipeline_evidence_disk_full", "Clips not written: disk full", labels=["camera"]
            )
            clips = CounterMetricFamily(
                "hallwatch_pipeline_evidence_clips", "Evidence clips written", labels=["camera"]
            )
            methods = CounterMetricFamily(
                "hallwatch_pipeline_evidence_clip_method",
                "Clips by how they were made: copy (cut from the file), "
                "segments (joined from the stream recorded by stream copy), encode (the analysed frames encoded)",
                labels=["camera", "method"],
            )
            restarts = CounterMetricFamily(
                "hallwatch_pipeline_evidence_recorder_restarts",
                "Restarts of a live camera's segment recording",
                labels=["camera"],
            )
            for camera_id, analysis in list(self.pipeline.analyses.items()):
                recorder = analysis.recorder
                if recorder is not None:
                    full.add_metric([camera_id], recorder.disk_full)
                    clips.add_metric([camera_id], recorder.clips_written)
                    for method, count in list(recorder.clip_methods.items()):
                        methods.add_metric([camera_id, method], count)
                    segments = getattr(recorder.clips, "recorder", None)
                    if segments is not None:
                        restarts.add_metric([camera_id], segments.restarts)
            yield full
            yield clips
            yield methods
            yield restarts
        publisher = self.pipeline.publisher
        if hasattr(publisher, "depth_bytes"):
            yield GaugeMetricFamily(
                "hallwatch_pipeline_spool_bytes", "Messages waiting in the disk spool", value=publisher.depth_bytes()
            )
            dropped = CounterMetricFamily(
                "hallwatch_pipeline_spool_dropped", "Messages dropped: spool full", labels=["topic"]
            )
            for topic, count in publisher.spool.dropped.items():
                dropped.add_metric([topic], count)
            yield dropped


class PipelineMetrics:
    def __init__(self, pipeline: PipelineState):
        self.registry = CollectorRegistry()
        self.inference_seconds = Histogram(
            "hallwatch_pipeline_inference_seconds",
            "Detector time per batched call",
            buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28),
            registry=self.registry,
        )
        self.handover_seconds = Histogram(
            "hallwatch_pipeline_handover_seconds",
            "Scale-out: from a camera's assignment to this worker to its first analysed frame here",
            buckets=(0.5, 1, 2, 5, 10, 20, 40),
            registry=self.registry,
        )
        self.checkpoints_unusable = Counter(
            "hallwatch_pipeline_checkpoints_unusable",
            "Scale-out: rule-state checkpoints that could not be restored (the camera started afresh)",
            registry=self.registry,
        )
        self.registry.register(PipelineCollector(pipeline))

    def serve(self, port: int) -> None:
        if port:
            try:
                start_http_server(port, registry=self.registry)
                log.info("pipeline metrics on http://0.0.0.0:%d/metrics", port)
            except OSError as error:
                log.warning("pipeline metrics not served: port %d: %s", port, error.strerror)
