"""A province's load on one alerting-service instance, through a real broker: time to drain, lag.

    python -m benchmarks.bench_drain [--halls 1000] [--cameras-per-hall 20] [--backlog 100000] [--seconds 60]

The province of ``bench_province`` (1,021 regions, 1,000 halls, 20,000 cameras). A backlog of
violations is on the topic when the service starts (the spools' replay after an outage: open and
closed events of the province's cameras); meanwhile every camera sends its heartbeat every 10 s
(2,000/s) for ``--seconds``. Measured from outside the service, every second: the consumer group's
lag (end offsets − committed offsets, both topics). Reported: the highest lag, the time until the
lag is zero after the heartbeat load ends, and every violation stored (target: lag never above
20,000, drained within 10 s of the load ending).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from benchmarks.bench_province import province
from benchmarks.common import ROOT, local_broker
from configs.loader import load_config

PRODUCER = """
import json, sys, time, uuid
from kafka import KafkaProducer
bootstrap, mode, n, rate, cameras = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), json.loads(sys.stdin.read())
p = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=262144, compression_type=None)
start = time.time()
for i in range(n):
    camera, hall, zone, window = cameras[i % len(cameras)]
    if mode == "violations":
        event = str(uuid.UUID(int=i // 2 + 1))  # its open, then its close
        closed = i % 2 == 1
        m = {"schema": "hallwatch.violation.v1", "event_id": event, "status": "closed" if closed else "open",
             "type": "empty_post", "reason": "left_post", "hall_id": hall, "region_id": "x", "region_path": ["x"],
             "level": "township", "camera_id": camera, "zone_id": zone, "window_id": window,
             "started_at": "2026-03-02T09:00:00+08:00", "ended_at": "2026-03-02T09:10:00+08:00" if closed else None,
             "duration_s": 600.0 if closed else 300.0, "people": 0, "track_ids": [], "min_distance_m": None,
             "evidence": {}, "closed_reason": "returned" if closed else None, "produced_at": "2026-03-02T09:10:01+08:00"}
        p.send("hallwatch.violations", key=hall.encode(), value=json.dumps(m).encode())
    else:
        if rate > 0:
            delay = start + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        m = {"schema": "hallwatch.heartbeat.v1", "camera_id": camera, "hall_id": hall, "region_id": "x",
             "level": "township", "status": "online", "fps_in": 5.0, "fps_analysed": 5.0, "last_frame_at": now,
             "reconnects": 0, "produced_at": now, "worker_id": "w1"}
        p.send("hallwatch.heartbeats", key=camera.encode(), value=json.dumps(m).encode())
p.flush()
print(f"{mode}: {n} sent in {time.time() - start:.1f} s", flush=True)
"""


def producer(bootstrap: str, mode: str, n: int, rate: float, cameras: list[tuple]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, bootstrap, mode, str(n), str(rate)], cwd=ROOT, stdin=subprocess.PIPE, text=True
    )
    process.stdin.write(json.dumps(cameras))
    process.stdin.close()
    return process


def group_lag(admin: KafkaAdminClient, ends: KafkaConsumer, group: str, partitions: list[TopicPartition]) -> int:
    committed = admin.list_group_offsets({group: None}).get(group) or {}
    end = ends.end_offsets(partitions)

    def at(tp: TopicPartition) -> int:
        entry = committed.get(tp)
        offset = getattr(entry, "offset", entry)
        return offset if isinstance(offset, int) and offset >= 0 else 0

    return sum(max(0, end[tp] - at(tp)) for tp in partitions)


def watch(
    admin: KafkaAdminClient, ends: KafkaConsumer, group: str, beats: subprocess.Popen, limit_s: float
) -> tuple[list[tuple[float, int]], float | None, float | None]:
    """The lag every second until it is zero after the heartbeat load ended: (samples, when the
    load ended, when it drained), seconds from the start."""
    partitions = [
        TopicPartition(t, p)
        for t in ("hallwatch.violations", "hallwatch.heartbeats")
        for p in ends.partitions_for_topic(t)
    ]
    samples: list[tuple[float, int]] = []
    load_end = None
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        time.sleep(1)
        lag = group_lag(admin, ends, group, partitions)
        now = time.monotonic() - t0
        samples.append((now, lag))
        if load_end is None and beats.poll() is not None:
            load_end = now
        if load_end is not None and lag == 0:
            return samples, load_end, now
        if int(now) % 10 == 0:
            print(f"{now:5.0f} s  lag {lag:7,}", flush=True)
    return samples, load_end, None


def report(
    args: argparse.Namespace,
    cameras: int,
    halls: int,
    rate: float,
    samples: list[tuple[float, int]],
    load_end: float | None,
    drained_at: float | None,
    stored: int,
) -> None:
    peak = max(samples, key=lambda s: s[1])
    after_start = [s for s in samples if s[0] >= 5]
    peak_steady = max(after_start, key=lambda s: s[1]) if after_start else peak
    caught_up = next((t for t, lag in samples if lag < 1000), None)
    print(
        f"\n{cameras:,} cameras, {halls:,} halls; heartbeats at {rate:,.0f}/s for {args.seconds:.0f} s "
        f"+ a backlog of {args.backlog:,} violations"
    )
    print(
        f"peak lag {peak[1]:,} at {peak[0]:.0f} s (the backlog itself at the start); "
        f"from 5 s on {peak_steady[1]:,} (target ≤ 20,000 with a 1,000-violation backlog)"
    )
    if caught_up is not None:
        consumed = args.backlog + rate * min(caught_up, args.seconds)
        print(
            f"caught up (lag < 1,000) after {caught_up:.0f} s: {consumed / caught_up:,.0f} msg/s consumed "
            f"while heartbeats kept arriving"
        )
    if drained_at is not None:
        print(
            f"drained {drained_at - load_end:.1f} s after the heartbeat load ended (target ≤ 10 s); "
            f"{drained_at:.0f} s in all"
        )
    else:
        print("NOT drained within 300 s of the load ending")
    print(f"violations stored: {stored:,} of {args.backlog // 2:,} events (open + closed of each)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--halls", type=int, default=1000)
    parser.add_argument("--cameras-per-hall", type=int, default=20)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from alerts.service import AlertService

    with local_broker() as (bootstrap, tmp):
        group = f"drain-{uuid.uuid4().hex[:6]}"
        data = {
            **province(args.halls, args.cameras_per_hall),
            "kafka": {"bootstrap_servers": bootstrap},
            "alerts": {"group_id": group},
        }
        path = Path(tmp) / "province.json"
        path.write_text(json.dumps(data, ensure_ascii=False))
        cfg = load_config(path)
        # each camera's own post zone (the service refuses a zone its camera does not have)
        cameras = [(c.id, c.hall, c.zones[0].id, c.zones[0].window) for c in cfg.cameras]
        started = time.perf_counter()
        producer(bootstrap, "violations", args.backlog, 0, cameras).wait()
        print(f"backlog of {args.backlog:,} violations on the topic ({time.perf_counter() - started:.0f} s to produce)")
        rate = len(cameras) / 10
        service = AlertService.open(cfg, args.database_url or f"sqlite:///{tmp}/alerts.db")
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        ends = KafkaConsumer(bootstrap_servers=bootstrap)
        beats = producer(bootstrap, "heartbeats", int(rate * args.seconds), rate, cameras)
        service.start()
        samples, load_end, drained_at = watch(admin, ends, group, beats, args.seconds + 300)
        stored = service.store.count()
        service.stop()
        report(args, len(cameras), len(cfg.halls), rate, samples, load_end, drained_at, stored)


if __name__ == "__main__":
    main()
