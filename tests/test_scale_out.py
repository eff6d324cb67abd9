"""Scale-out on Kafka, with real worker processes and the real broker: pipeline workers of one
group share a site's cameras, a killed worker's cameras are analysed again elsewhere within 15 s
with their open violations continued (same event id, same start, closed once), a joining worker
takes its share, and the union of all workers' events equals a single-process run. Absences
entered in the console reach a worker in another process within seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from kafka import KafkaConsumer

from tests.conftest import ROOT
from tests.helpers import rect, wait_for, write_mot

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
TZ = ZoneInfo("Asia/Shanghai")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def camera_tracks(path: Path, shift_s: float) -> Path:
    """70 s at 5 fps: the clerk at the post until 3 s and again from 50 s (an empty post that opens
    at 8 s and closes at 50 s), two people too close in the queue from 54 to 58 s."""
    rows = []
    for f in range(1, 351):
        t = (f - 1) / 5 - shift_s
        if t < 3 or t >= 50:
            rows.append((f, 1, 200, 200))
        if 54 <= t < 58:
            rows += [(f, 2, 300, 700), (f, 3, 360, 700)]
    return write_mot(path, rows)


def site(tmp_path: Path, marker: str, cameras: int, start: datetime, **extra) -> tuple[Path, list[str]]:
    ids = [f"cam{i}-{marker}" for i in range(cameras)]
    data = {
        "regions": [{"id": "c", "name": "市", "level": "city"}],
        "halls": [
            {"id": f"h{h}-{marker}", "name": f"大厅{h}", "region": "c", "windows": [{"id": "w1"}]} for h in range(2)
        ],
        "cameras": [
            {
                "id": camera_id,
                "hall": f"h{i % 2}-{marker}",
                "frame_size": [1000, 1000],
                "source_fps": 5,
                "source": f"mot:{camera_tracks(tmp_path / f'{camera_id}.txt', i * 0.4)}",
                "analysis_fps": 5,
                "start_time": start.isoformat(),
                "calibration": {"image": rect(0, 0, 1000, 1000), "floor": rect(0, 0, 10, 10)},
                "zones": [
                    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 300, 300)},
                    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)},
                ],
            }
            for i, camera_id in enumerate(ids)
        ],
        "rules": {
            "empty_post": {"after_s": 5, "return_s": 1},
            "queue_crowding": {"min_duration_s": 2, "clear_s": 1},
            "staff_chatting": {"enabled": False},
        },
        "metrics_port": 0,
        "evidence": {"enabled": False},
        "absences_file": str(tmp_path / "absences.jsonl"),
        **extra,
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path, ids


class Heartbeats:
    """Who runs which camera, from the heartbeats topic: (arrival, camera, worker, status)."""

    def __init__(self, bootstrap: str, cameras: list[str]):
        self.cameras, self.seen = set(cameras), []
        self.consumer = KafkaConsumer(
            "hallwatch.heartbeats",
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            consumer_timeout_ms=500,
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            for record in self.consumer:
                beat = json.loads(record.value)
                if beat["camera_id"] in self.cameras:
                    self.seen.append((time.monotonic(), beat["camera_id"], beat.get("worker_id"), beat["status"]))

    def owners(self, since: float, until: float | None = None) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for at, camera, worker, status in list(self.seen):
            if at >= since and (until is None or at < until) and status == "online":
                out.setdefault(camera, set()).add(worker)
        return out

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.consumer.close()


def worker(config: Path, group: str, name: str, events: Path, bootstrap: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "run_pipeline.py",
            "--config",
            str(config),
            "--group",
            group,
            "--worker-id",
            name,
            "--events-out",
            str(events),
        ],
        cwd=ROOT,
        env={**ENV, "HALLWATCH_KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        stdout=subprocess.DEVNULL,
        stderr=open(events.with_suffix(".log"), "w"),
    )


def events_of(*files: Path) -> list[dict]:
    return [json.loads(line) for f in files if f.exists() for line in f.read_text().splitlines() if line.strip()]


def test_workers_share_cameras_take_over_a_dead_one_and_lose_nothing(kafka_broker, tmp_path):
    marker = uuid.uuid4().hex[:8]
    # Long enough for three workers to start (Python, imports) and the group to settle, even on a
    # loaded machine: the replay must find every camera already running, as the reference does.
    start = datetime.now(TZ).replace(microsecond=0) + timedelta(seconds=35)
    config, cameras = site(
        tmp_path,
        marker,
        6,
        start,
        kafka={"heartbeat_interval_s": 1, "worker_session_timeout_s": 6, "spool_dir": str(tmp_path / "spool")},
    )
    # The single-process reference on the same inputs, as fast as possible.
    reference_file = tmp_path / "reference.jsonl"
    subprocess.run(
        [sys.executable, "run_pipeline.py", "--config", str(config), "--no-kafka", "--events-out", str(reference_file)],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        timeout=180,
    )
    reference = events_of(reference_file)
    assert len(reference) == 4 * len(cameras)

    beats = Heartbeats(kafka_broker.bootstrap, cameras)
    group = f"workers-{marker}"
    files = {name: tmp_path / f"{name}.jsonl" for name in ("w1", "w2", "w3", "w4")}
    procs = {name: worker(config, group, name, files[name], kafka_broker.bootstrap) for name in ("w1", "w2", "w3")}
    try:
        t0 = time.monotonic() + (start - datetime.now(TZ)).total_seconds()
        wait_for(lambda: time.monotonic() > t0 + 12, 60, "the replay to run")
        steady = beats.owners(t0 + 9, t0 + 12)
        assert set(steady) == set(cameras), steady  # every camera analysed...
        assert all(len(w) == 1 for w in steady.values()), steady  # ...by exactly one worker
        victim = next(iter(steady[cameras[0]]))
        its_cameras = [c for c, w in steady.items() if w == {victim}]
        procs[victim].send_signal(signal.SIGKILL)  # mid-way: its cameras have empty posts open
        killed = time.monotonic()
        wait_for(
            lambda: all(beats.owners(killed + 1).get(c, set()) - {victim} for c in its_cameras),
            30,
            "the dead worker's cameras on the others",
        )
        taken_over_s = (
            max(
                min(at for at, cam, w, s in beats.seen if cam == c and at > killed and w != victim and s == "online")
                for c in its_cameras
            )
            - killed
        )
        procs["w4"] = worker(config, group, "w4", files["w4"], kafka_broker.bootstrap)  # a worker joins
        wait_for(lambda: time.monotonic() > t0 + 72, 120, "the end of the replay")
        late = beats.owners(t0 + 45, t0 + 60)
        assert set(late) == set(cameras) and all(len(w) == 1 for w in late.values()), late  # one owner each
        print(f"\nowners after the kill of {victim} and the join of w4: {late}")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(60)
        beats.close()
    print(f"\nhand-over after kill -9: {taken_over_s:.1f} s ({len(its_cameras)} camera(s))")
    assert taken_over_s < 15, taken_over_s
    union = events_of(*files.values())
    opened = [m["event_id"] for m in union if m["status"] == "open"]
    assert len(opened) == len(set(opened)), "an event was opened twice"
    key = lambda m: (m["event_id"], m["status"], m["started_at"], m["ended_at"], m["closed_reason"])  # noqa: E731
    missing = sorted(set(map(key, reference)) - set(map(key, union)))
    extra = sorted(set(map(key, union)) - set(map(key, reference)))
    assert not missing and not extra, (f"missing {missing}", f"extra {extra}")
    assert sorted(map(key, union)) == sorted(map(key, reference))
    continued = [m for m in union if m["camera_id"] in its_cameras and m["type"] == "empty_post"]
    assert [m["status"] for m in continued].count("closed") == len(its_cameras)  # closed once, by the new owner


def test_an_absence_from_the_console_reaches_a_worker_in_another_process(kafka_broker, tmp_path):
    from fastapi.testclient import TestClient

    from alerts.api import create_app
    from alerts.service import AlertService
    from configs.loader import load_config

    marker = uuid.uuid4().hex[:8]
    start = datetime.now(TZ).replace(microsecond=0) + timedelta(seconds=8)
    config, cameras = site(
        tmp_path,
        marker,
        1,
        start,
        kafka={"heartbeat_interval_s": 1, "spool_dir": str(tmp_path / "spool")},
        alerts={"secure_cookies": False, "group_id": f"alerts-{marker}"},
    )
    cfg = load_config(config).model_copy()
    cfg = cfg.model_copy(update={"kafka": cfg.kafka.model_copy(update={"bootstrap_servers": kafka_broker.bootstrap})})
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'alerts.db'}")
    service.start()
    app = create_app(service)
    app.state.users.add("op", "operator password", "operator", "c")
    client = TestClient(app)
    csrf = client.post("/api/login", json={"username": "op", "password": "operator password"}).json()["csrf"]
    events = tmp_path / "w.jsonl"
    proc = worker(config, f"solo-{marker}", "w1", events, kafka_broker.bootstrap)
    try:
        wait_for(
            lambda: any(m["type"] == "empty_post" and m["status"] == "open" for m in events_of(events)),
            60,
            "the empty post to open",
        )
        now = datetime.now(TZ)
        registered = time.monotonic()
        response = client.post(
            "/api/absences",
            headers={"X-CSRF-Token": csrf},
            json={
                "hall_id": f"h0-{marker}",
                "window_id": "w1",
                "start": (now - timedelta(seconds=1)).isoformat(),
                "end": (now + timedelta(minutes=30)).isoformat(),
                "reason": "到县局开会",
            },
        )
        assert response.status_code == 201, response.text
        wait_for(
            lambda: any(m["closed_reason"] == "absence" for m in events_of(events)),
            20,
            "the absence to end the violation",
        )
        reached_s = time.monotonic() - registered
        wait_for(lambda: len(service.repos.absences.list()) == 1, 20, "the service's mirror of the topic")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        service.stop()
    closed = next(m for m in events_of(events) if m["closed_reason"] == "absence")
    assert closed["suppressed"]["reason"] == "到县局开会"
    print(f"\nabsence registered in the console -> violation closed on the worker: {reached_s:.1f} s")
    assert reached_s < 10
