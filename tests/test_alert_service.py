"""The alerting service against the real broker: outages, crashes, garbage, coverage, escalation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import yaml
from kafka import KafkaConsumer, KafkaProducer

from alerts.coverage import CameraSeen, compute
from alerts.service import AlertService
from alerts.store.alerts import AlertStore
from alerts.store.database import Database
from alerts.store.schema import AuditEntry
from configs.loader import parse_config
from streams.broker import KafkaBroker, free_port
from streams.spool import SpoolingKafkaPublisher
from streams.topics import ensure_topics
from tests.alert_fixtures import add_hall, heartbeat, received, registry
from tests.alert_fixtures import violation_message as violation
from tests.conftest import ROOT
from tests.helpers import wait_for

pytestmark = pytest.mark.kafka
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def audit_actions(store: AlertStore, hall: str) -> list[str]:
    from sqlalchemy import select

    from alerts.store.alerts import Alert

    with store.sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .join(Alert, Alert.event_id == AuditEntry.event_id)
                .where(Alert.hall_id == hall)
            )
        )


# -- coverage ---------------------------------------------------------------------------------------
def test_coverage_with_stale_and_missing_cameras():
    cfg = parse_config(registry("127.0.0.1:1", "g"))
    fresh, stale = NOW - timedelta(seconds=30), NOW - timedelta(seconds=500)
    seen = {
        "c-city-1": CameraSeen("online", fresh),
        "c-city-2": CameraSeen("online", stale),  # stale
        "c-county": CameraSeen("online", fresh),
        "c-h1": CameraSeen("degraded", fresh),
    }
    cov = compute(cfg, seen, NOW, stale_after_s=120)
    total = cov.by_region_level
    assert (total["*", "city"].halls, total["*", "city"].halls_covered) == (1, 0)  # one stale camera of two
    assert (total["*", "county"].halls, total["*", "county"].halls_covered) == (1, 1)
    assert (total["*", "township"].halls, total["*", "township"].halls_covered) == (2, 0)  # degraded; no camera
    assert total["city", "township"].ratio == 0 and total["county", "county"].ratio == 1.0
    assert (total["town2", "township"].halls, total["county2", "township"].halls) == (1, 1)
    # windows: city w1/w2 are on the fresh online camera -> covered although the hall is not
    assert (total["*", "city"].windows, total["*", "city"].windows_covered) == (2, 2)
    assert (total["*", "township"].windows, total["*", "township"].windows_covered) == (3, 0)
    why = {h["hall_id"]: (h["reason"], h["stale_cameras"]) for h in cov.uncovered}
    assert why == {
        "h-city": ("camera not online", ["c-city-2"]),
        "h1": ("camera not online", ["c-h1"]),
        "h2": ("no camera", []),
    }
    seen["c-city-2"] = CameraSeen("online", fresh)
    assert compute(cfg, seen, NOW).by_region_level["*", "city"].halls_covered == 1


def test_coverage_api_and_metrics(tmp_path):
    from fastapi.testclient import TestClient

    from alerts.api import create_app

    cfg = parse_config(registry("127.0.0.1:1", "g", alerts={"secure_cookies": False}))
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    beat = heartbeat
    service.repos.cameras.apply_heartbeats(
        [beat("c-city-1", "h-city", "online"), beat("c-county", "h-county", "online")]
    )
    app = create_app(service)
    app.state.users.add("admin", "a-long-password", "admin", "city")
    client = TestClient(app)
    client.post("/api/login", json={"username": "admin", "password": "a-long-password"}).raise_for_status()
    body = client.get("/api/coverage").json()
    assert body["by_region"]["all"]["county"]["ratio"] == 1.0
    assert body["by_region"]["all"]["city"]["halls_covered"] == 0
    assert {h["hall_id"] for h in body["uncovered"]} == {"h-city", "h1", "h2"}
    text = client.get("/metrics").text
    assert 'hallwatch_coverage_ratio{level="county",region="all"} 1.0' in text
    assert 'hallwatch_halls{level="township",region="city"} 2.0' in text
    assert 'hallwatch_camera_up{camera="c-city-2",hall="h-city"} 0.0' in text
    cams = {c["camera_id"]: c["status"] for c in client.get("/api/cameras").json()}
    assert cams == {"c-city-1": "online", "c-city-2": "offline", "c-county": "online", "c-h1": "offline"}
    assert client.get("/api/openapi.json").status_code == 200  # for administrators


# -- escalation and webhooks --------------------------------------------------------------------------
class Hook(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(500)
            self.end_headers()
        else:
            Hook.received.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')  # as the DingTalk and WeCom robots answer

    def log_message(self, *args):
        pass


def test_escalation_to_parent_region_notifies_again_with_retries(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    Hook.received, Hook.fail_first = [], 2  # the endpoint fails twice, then recovers
    cfg = parse_config(
        registry(
            "127.0.0.1:1",
            "g",
            alerts={
                "escalation_minutes": {"township": 10, "county": 20},
                "webhooks": [
                    {"url": f"{url}/dingtalk", "format": "dingtalk"},
                    {"url": f"{url}/wecom", "format": "wecom"},
                ],
            },
        )
    )
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    service.notifier.base_delay_s = 0.05
    eid = str(uuid.uuid4())
    service.handle([received(violation(eid))])
    wait_for(lambda: len(Hook.received) == 2, 10, "new-alert notifications")
    received_at = service.store.get(eid).received_at
    assert service.escalate_once(received_at + timedelta(minutes=9)) == 0
    assert service.escalate_once(received_at + timedelta(minutes=10)) == 1
    alert = service.store.get(eid)
    assert alert.escalated_to == "county" and alert.escalations == 1 and alert.lifecycle == "new"
    assert service.escalate_once(alert.escalated_at + timedelta(minutes=19)) == 0
    assert service.escalate_once(alert.escalated_at + timedelta(minutes=20)) == 1
    assert service.store.get(eid).escalated_to == "city"
    assert service.escalate_once(alert.escalated_at + timedelta(hours=5)) == 0  # the top: nowhere to go
    wait_for(lambda: len(Hook.received) == 6, 10, "escalation notifications")
    paths = [p for p, _ in Hook.received]
    assert paths.count("/dingtalk") == 3 and paths.count("/wecom") == 3
    ding = [b for p, b in Hook.received if p == "/dingtalk"]
    assert ding[0]["msgtype"] == "markdown" and "空岗" in ding[0]["markdown"]["text"]
    assert "升级至雁江区" in ding[1]["markdown"]["text"] and "莲花街道便民服务中心" in ding[1]["markdown"]["text"]
    service.lifecycle.transition(eid, "op", "acknowledge")
    assert service.escalate_once(datetime.now(UTC) + timedelta(days=1)) == 0
    assert [e.action for e in service.store.audit(eid)].count("escalate") == 2
    server.shutdown()


def test_dead_webhook_never_blocks_consumption(tmp_path):
    cfg = parse_config(
        registry("127.0.0.1:1", "g", alerts={"webhooks": [{"url": "http://127.0.0.1:9/x"}], "webhook_attempts": 3})
    )
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    start = time.monotonic()
    service.handle([received(violation(str(uuid.uuid4())), i) for i in range(50)])
    assert time.monotonic() - start < 5 and service.store.count() == 50


# -- the real broker ----------------------------------------------------------------------------------
def test_garbage_goes_to_the_dlq_and_the_service_keeps_going(kafka_broker, tmp_path):
    group = f"dlq-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex
    data = registry(kafka_broker.bootstrap, group)
    camera = add_hall(data, f"h-{marker}")
    cfg = parse_config(data)
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    producer.send("hallwatch.violations", key=marker.encode(), value=b"\x00not json at all")
    producer.send(
        "hallwatch.violations",
        key=marker.encode(),
        value=json.dumps({"schema": "hallwatch.violation.v1", "event_id": "x"}).encode(),
    )
    good = violation(str(uuid.uuid4()), hall_id=f"h-{marker}", camera_id=camera)
    producer.send("hallwatch.violations", key=marker.encode(), value=json.dumps(good).encode())
    producer.flush()
    service.start()
    try:
        wait_for(lambda: service.store.get(good["event_id"]) is not None, 60, "the valid message")
    finally:
        service.stop()
    dlq = KafkaConsumer(
        "hallwatch.dlq",
        bootstrap_servers=kafka_broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=f"check-{marker}",
    )
    mine = [json.loads(r.value) for r in dlq if r.key == marker.encode()]
    dlq.close()
    assert len(mine) == 2
    assert mine[0]["reason"].startswith("not JSON") and mine[0]["topic"] == "hallwatch.violations"
    assert "Field required" in mine[1]["reason"]
    samples = {
        s.labels["reason"]: s.value for s in service.metrics.dlq.collect()[0].samples if s.name == "hallwatch_dlq_total"
    }
    assert samples["not_json"] >= 1 and samples["schema"] >= 1


def test_broker_outage_mid_stream_loses_nothing_and_doubles_nothing(tmp_path):
    broker = KafkaBroker(tmp_path / "broker", port=free_port(), controller_port=free_port())
    broker.start()
    try:
        ensure_topics(broker.bootstrap)
        cfg = parse_config(registry(broker.bootstrap, "outage"))
        cfg = cfg.model_copy(update={"alerts": cfg.alerts.model_copy(update={"unhealthy_after_s": 3})})
        service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
        service.start()
        publisher = SpoolingKafkaPublisher(broker.bootstrap, tmp_path / "spool")
        ids = [str(uuid.uuid4()) for _ in range(60)]
        for eid in ids[:30]:
            publisher.publish("hallwatch.violations", "h1", violation(eid, "open"))
        wait_for(lambda: service.store.count() == 30, 60, "the first half")
        broker.stop()  # the broker goes away mid-stream
        for eid in ids[:30]:
            publisher.publish("hallwatch.violations", "h1", violation(eid, "closed"))
        for eid in ids[30:]:
            publisher.publish("hallwatch.violations", "h1", violation(eid, "open"))
            publisher.publish("hallwatch.violations", "h1", violation(eid, "closed"))
        time.sleep(3)
        assert publisher.depth_bytes() > 0  # held on disk while the broker is away
        # The consumer retries quietly; /healthz says Kafka is away once it has been for 3 s
        # (it stayed 200 while the log filled with connection errors; issue 24).
        wait_for(lambda: not service.health()["ok"], 30, "health to report Kafka unreachable")
        assert service.health()["kafka_reachable"] is False
        broker.start()  # same data, same ports
        wait_for(
            lambda: (
                service.store.count() == 60 and all(a.event_status == "closed" for a in service.store.list(limit=100))
            ),
            120,
            "everything after the outage",
        )
        wait_for(lambda: service.health()["ok"], 30, "health again")
        publisher.close()
        service.stop()
        actions = audit_actions(service.store, "h1")
        assert actions.count("violation_open") == 60 and actions.count("violation_closed") == 60
        assert publisher.spool.depth_bytes() == 0
    finally:
        broker.stop()


def test_service_killed_mid_batch_and_restarted(kafka_broker, tmp_path):
    N = 5000
    hall = f"h-kill-{uuid.uuid4().hex[:6]}"
    data = registry(kafka_broker.bootstrap, f"kill-{hall}")
    camera = add_hall(data, hall)
    data["alerts"]["database_url"] = f"sqlite:///{tmp_path / 'alerts.db'}"
    config = tmp_path / "service.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=20)
    ids = [str(uuid.uuid4()) for _ in range(N)]  # enough that the kill lands mid-stream
    for eid in ids:
        producer.send(
            "hallwatch.violations",
            key=hall.encode(),
            value=json.dumps(violation(eid, hall_id=hall, camera_id=camera)).encode(),
        )
        producer.send(
            "hallwatch.violations",
            key=hall.encode(),
            value=json.dumps(violation(eid, "closed", hall_id=hall, camera_id=camera)).encode(),
        )
    producer.flush()
    store = AlertStore(Database.open(f"sqlite:///{tmp_path / 'alerts.db'}"))

    service = start_service(config)
    try:
        wait_for(lambda: 0 < store.count() and service.poll() is None, 90, "consumption")  # its own database
        service.send_signal(signal.SIGKILL)  # mid-batch, no goodbye
        service.wait(10)
        partial = store.count()
        service = start_service(config)
        wait_for(lambda: len(store.list(hall=hall, event_status="closed", limit=2 * N)) == N, 120, f"all {N}")
    finally:
        service.terminate()
        service.wait(20)
    # The kill must have landed mid-stream, or the restart proves nothing.
    assert 0 < partial < N, f"the kill came after {partial} of {N} alerts were stored"
    actions = audit_actions(store, hall)
    assert actions.count("violation_open") == N and actions.count("violation_closed") == N
    assert len(store.list(hall=hall, limit=2 * N)) == N


@pytest.mark.parametrize("static_membership", [False, True])
def test_consumption_resumes_within_15_s_of_a_kill(kafka_broker, tmp_path, static_membership):
    """kill -9 of the alerting service, then a restart: the group rejoins within 15 s (a 10 s session
    timeout by default; at once with static membership, alerts.instance_id)."""
    hall = f"h-rejoin-{uuid.uuid4().hex[:6]}"
    data = registry(kafka_broker.bootstrap, f"rejoin-{hall}")
    camera = add_hall(data, hall)
    data["alerts"]["database_url"] = f"sqlite:///{tmp_path / 'alerts.db'}"
    if static_membership:
        data["alerts"]["instance_id"] = f"alerts-{hall}"
    config = tmp_path / "service.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    store = AlertStore(Database.open(f"sqlite:///{tmp_path / 'alerts.db'}"))

    def send() -> str:
        event_id = str(uuid.uuid4())
        producer.send(
            "hallwatch.violations",
            key=hall.encode(),
            value=json.dumps(violation(event_id, hall_id=hall, camera_id=camera)).encode(),
        )
        producer.flush()
        return event_id

    service = start_service(config)
    try:
        first = send()
        wait_for(lambda: store.get(first) is not None, 90, "the first message")
        service.send_signal(signal.SIGKILL)
        service.wait(10)
        killed = time.monotonic()
        second = send()
        service = start_service(config)
        wait_for(lambda: store.get(second) is not None, 60, "consumption after the restart")
        resumed_s = time.monotonic() - killed
    finally:
        service.terminate()
        service.wait(20)
    print(f"\nrejoin after kill -9 (static membership {static_membership}): {resumed_s:.1f} s")
    assert resumed_s < 15, resumed_s


def start_service(config) -> subprocess.Popen:
    """The alerting service as its own process (``python -m alerts``), to be killed with -9."""
    return subprocess.Popen(
        [sys.executable, "-m", "alerts", "--config", str(config), "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_the_alarm_latency_histogram_counts_live_openings_from_their_completing_frame(tmp_path):
    """hallwatch_alarm_latency_seconds (issue 29): a new open alert counts now − opened_at (the
    frame that completed its condition); a replay of past footage, a closed message and a repeat
    of a stored event do not."""
    from tests.alert_fixtures import violation as typed

    service = AlertService.open(parse_config(registry("127.0.0.1:1", "g")), f"sqlite:///{tmp_path / 'a.db'}")
    now = datetime.now(UTC)
    live = typed("live", started_at=(now - timedelta(seconds=302)).isoformat())  # opened 2 s ago (duration 300)
    replay = typed("replay", started_at=(now - timedelta(days=1)).isoformat())
    closed = typed(
        "closed",
        "closed",
        started_at=(now - timedelta(seconds=430)).isoformat(),
        ended_at=(now - timedelta(seconds=10)).isoformat(),
    )
    service._raise([live, replay, closed])
    service._raise([live])  # the same event again: not a new alarm

    def sample(name: str) -> float:
        return service.metrics.registry.get_sample_value(name, {"type": "empty_post"}) or 0.0

    assert sample("hallwatch_alarm_latency_seconds_count") == 1
    assert 2.0 <= sample("hallwatch_alarm_latency_seconds_sum") < 10.0
    assert (
        service.metrics.registry.get_sample_value(
            "hallwatch_alarm_latency_seconds_bucket", {"type": "empty_post", "le": "1.5"}
        )
        == 0
    )
