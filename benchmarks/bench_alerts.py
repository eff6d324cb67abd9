"""The alerting service's ingest rate and end-to-end latency, against a real broker.

    python -m benchmarks.bench_alerts [--messages 20000] [--rate 100] [--seconds 30]

1. ingest: N violation messages are produced by another process; the service's consumer then
   stores them (SQLite, and PostgreSQL when Debian's server is installed): messages/s. Goal >= 5,000
   msg/s on SQLite.
2. latency at 100 msg/s: from an open message produced to the alert pushed to a client of the
   API's live stream (/api/stream, the console's channel): p50 and p99. Goal p99 < 500 ms.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime

import httpx

from benchmarks.common import ROOT, local_broker
from configs.loader import parse_config
from streams.broker import free_port

PRODUCER = """
import json, sys, time, uuid
from datetime import datetime, timezone
from kafka import KafkaProducer
bootstrap, n, rate, phase = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
template = json.loads(sys.stdin.read())
start = time.time()
for i in range(n):
    if rate > 0:
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    # The contract's own fields carry the measurement (the store keeps nothing else): the send time
    # in produced_at, the phase in the day of started_at.
    m = dict(template, event_id=str(uuid.uuid4()), produced_at=datetime.now(timezone.utc).isoformat(),
             started_at="2026-03-03T09:00:00+08:00" if phase == "latency" else template["started_at"])
    p.send("hallwatch.violations", key=m["hall_id"].encode(), value=json.dumps(m).encode())
p.flush()
"""


def template() -> dict:
    return {
        "schema": "hallwatch.violation.v1",
        "event_id": "",
        "status": "open",
        "type": "queue_crowding",
        "reason": "too_close",
        "hall_id": "h1",
        "region_id": "t",
        "region_path": ["c", "k", "t"],
        "level": "township",
        "camera_id": "cam",
        "zone_id": "queue",
        "window_id": None,
        "started_at": "2026-03-02T09:00:00+08:00",
        "ended_at": None,
        "duration_s": 5.0,
        "people": 2,
        "track_ids": [1, 2],
        "min_distance_m": 0.7,
        "evidence": {},
        "closed_reason": None,
        "produced_at": "2026-03-02T09:00:05+08:00",
    }


def produce(bootstrap: str, n: int, rate: float, phase: str = "ingest") -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, bootstrap, str(n), str(rate), phase],
        stdin=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    process.stdin.write(json.dumps(template()))
    process.stdin.close()
    return process


def config(bootstrap: str, group: str):
    return parse_config(
        {
            "regions": [
                {"id": "c", "name": "市", "level": "city"},
                {"id": "k", "name": "县", "level": "county", "parent": "c"},
                {"id": "t", "name": "乡", "level": "township", "parent": "k"},
            ],
            "halls": [{"id": "h1", "name": "便民服务中心", "region": "t"}],
            # The service takes messages only for configured halls and their cameras.
            "cameras": [
                {
                    "id": "cam",
                    "hall": "h1",
                    "source": "rtsp://camera.invalid/1",
                    "zones": [  # the zone the messages name (the service refuses others); no rules run here
                        {
                            "id": "queue",
                            "kind": "queue_area",
                            "polygon": [[0, 0], [10, 0], [10, 10]],
                            "rules": {"queue_crowding": {"enabled": False}},
                        }
                    ],
                }
            ],
            "evidence": {"enabled": False},
            "kafka": {"bootstrap_servers": bootstrap},
            "alerts": {"group_id": group, "secure_cookies": False},
        }
    )


def ingest_rate(bootstrap: str, url: str, n: int) -> float:
    from alerts.service import AlertService

    service = AlertService.open(config(bootstrap, f"bench-{uuid.uuid4().hex[:6]}"), url)
    before = service.store.count()
    service.start()
    deadline = time.monotonic() + 600
    while service.store.count() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.perf_counter()
    while service.store.count() < before + n and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    service.stop()
    return n / elapsed


def latency(bootstrap: str, url: str, rate: float, seconds: float, backlog: int) -> tuple[float, float, int]:
    """p50, p99 and count of produced -> pushed, and prints where the time goes."""
    import uvicorn

    from alerts.api import create_app
    from alerts.service import AlertService

    service = AlertService.open(config(bootstrap, f"lat-{uuid.uuid4().hex[:6]}"), url)
    service.trace = {}
    service.start()
    port = free_port()
    app = create_app(service)
    app.state.users.add("bench", "benchmark password", "admin", "c")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    while True:
        try:
            client.get("/healthz")
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    client.post("/api/login", json={"username": "bench", "password": "benchmark password"}).raise_for_status()
    seen: dict[str, float] = {}
    produced_at: dict[str, float] = {}

    def listen() -> None:  # the console's own channel: server-sent events
        with client.stream("GET", "/api/stream", timeout=None) as events:
            for line in events.iter_lines():
                if line.startswith("data: "):
                    event_id = json.loads(line[6:])["event_id"]
                    seen.setdefault(event_id, time.time())
                if server.should_exit:
                    return

    deadline = time.monotonic() + 600
    while service.store.count() < backlog and time.monotonic() < deadline:
        time.sleep(0.5)  # the ingest phase's messages are still on the topic: let them pass first
    time.sleep(2)
    n = int(rate * seconds)
    threading.Thread(target=listen, daemon=True).start()
    time.sleep(1)
    producer = produce(bootstrap, n, rate, "latency")
    producer.wait()
    time.sleep(5)  # the last messages' way through
    for alert in service.store.list(limit=backlog + n + 100):
        if alert.payload["started_at"].startswith("2026-03-03"):  # not the ingest phase's backlog
            produced_at[alert.event_id] = datetime.fromisoformat(alert.payload["produced_at"]).timestamp()
    server.should_exit = True
    service.stop()
    lat = sorted((seen[e] - produced_at[e]) * 1000 for e in seen if e in produced_at)
    missed = len(set(produced_at) - set(seen))
    if missed:
        print(f"WARNING: {missed} of {len(produced_at)} stored alerts never reached the stream client")
    traced = [e for e in seen if e in produced_at and e in service.trace]
    stages = {
        "Kafka (produce, broker, consumer fetch)": [service.trace[e][0] - produced_at[e] for e in traced],
        "validate + store commit": [service.trace[e][1] - service.trace[e][0] for e in traced],
        "live stream (notify, read, serialise, SSE to the client)": [seen[e] - service.trace[e][1] for e in traced],
    }
    print("where the time goes (ms):            p50     p90     p99")
    for name, values in stages.items():
        values = sorted(v * 1000 for v in values)
        pick = lambda q: values[min(len(values) - 1, int(len(values) * q))]  # noqa: E731, B023 - used within the iteration
        print(f"  {name:<58} {pick(0.5):7.0f} {pick(0.9):7.0f} {pick(0.99):7.0f}")
    return lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1], len(lat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    with local_broker() as (bootstrap, tmp):
        produce(bootstrap, args.messages, 0).wait()
        if not args.skip_ingest:
            ingest_all(bootstrap, tmp, args.messages)
        p50, p99, n = latency(bootstrap, f"sqlite:///{tmp}/lat.db", args.rate, args.seconds, args.messages)
        print(
            f"latency at {args.rate:.0f} msg/s, produced -> pushed by the API: p50 {p50:.0f} ms, "
            f"p99 {p99:.0f} ms over {n} alerts (goal p99 < 500 ms)"
        )


def ingest_all(bootstrap: str, tmp: str, messages: int) -> None:
    rate = ingest_rate(bootstrap, f"sqlite:///{tmp}/a.db", messages)
    print(f"ingest, SQLite:     {rate:8.0f} msg/s  (goal >= 5000)")
    from tests.pgserver import PostgresUnavailable, postgres_server

    try:
        with postgres_server() as pg:
            rate = ingest_rate(bootstrap, pg, messages)
            print(f"ingest, PostgreSQL: {rate:8.0f} msg/s")
    except PostgresUnavailable as why:
        print(f"ingest, PostgreSQL: skipped ({why})")


if __name__ == "__main__":
    main()
