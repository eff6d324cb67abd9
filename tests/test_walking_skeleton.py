"""End to end against the real broker: the pipeline publishes heartbeats and violations to Kafka
and the alerting service's consumer reads them back."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from alerts.service import AlertService
from configs.loader import parse_config
from tests.conftest import ROOT
from tests.helpers import rect, write_mot

pytestmark = pytest.mark.kafka


def test_pipeline_heartbeats_and_violations_reach_the_alerts_consumer(kafka_broker, tmp_path):
    # 60 s of replay at 5 fps: one clerk leaves post w1 after 10 s and never comes back.
    rows = [(f, 1, 150.0, 150.0) for f in range(1, 51)]
    rows += [(f, 2, 650.0, 650.0) for f in range(1, 301)]  # a customer in the queue area
    mot = write_mot(tmp_path / "tracks.txt", rows)
    config = {
        "regions": [
            {"id": "c", "name": "市", "level": "city"},
            {"id": "k", "name": "县", "level": "county", "parent": "c"},
            {"id": "t", "name": "乡", "level": "township", "parent": "k"},
        ],
        "halls": [{"id": "h-skeleton", "name": "乡便民服务中心", "region": "t", "windows": [{"id": "w1"}]}],
        "cameras": [
            {
                "id": "cam-a",
                "hall": "h-skeleton",
                "source": f"mot:{mot}",
                "frame_size": [1000, 1000],
                "source_fps": 5,
                "analysis_fps": 5,
                "start_time": "2026-03-02T09:00:00+08:00",
                "calibration": {"image": rect(0, 0, 1000, 1000), "floor": rect(0, 0, 10, 10)},
                "zones": [{"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 200, 200)}],
            }
        ],
        "rules": {"empty_post": {"after_s": 30, "return_s": 3}},
        "kafka": {
            "bootstrap_servers": kafka_broker.bootstrap,
            "heartbeat_interval_s": 1,
            "spool_dir": str(tmp_path / "spool"),
        },
    }
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    events = tmp_path / "events.jsonl"
    result = subprocess.run(
        [sys.executable, "run_pipeline.py", "--config", str(path), "--events-out", str(events)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]

    cfg = parse_config({**config, "alerts": {"group_id": "skeleton-test"}})
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'alerts.db'}")
    service.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            alerts = service.store.list(hall="h-skeleton")
            if service.repos.cameras.cameras() and alerts and alerts[0].event_status == "closed":
                break
            time.sleep(0.3)
    finally:
        service.stop()

    # (the session broker also carries other tests' messages: pick this test's camera and hall)
    beat = next(c for c in service.repos.cameras.cameras() if c.camera_id == "cam-a").payload
    assert beat["hall_id"] == "h-skeleton" and beat["region_id"] == "t" and beat["level"] == "township"
    assert beat["status"] in {"online", "offline"} and beat["post_windows"] == ["w1"]
    assert beat["fps_in"] >= 0 and beat["reconnects"] == 0 and beat["frames_analysed"] == 300
    (alert,) = service.store.list(hall="h-skeleton")
    violation = alert.payload
    assert alert.lifecycle == "new"
    assert violation["type"] == "empty_post" and violation["status"] == "closed"
    assert violation["started_at"] == "2026-03-02T09:00:10+08:00"  # first empty frame (frame 51)
    assert violation["ended_at"] == "2026-03-02T09:00:59.800000+08:00"  # last analysed frame
    assert violation["closed_reason"] == "end_of_stream"
    lines = events.read_text().splitlines()
    assert len(lines) == 2  # open + close, also in --events-out
