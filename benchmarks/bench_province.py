"""A province for the alerting service: 1,000 halls in 1,021 regions, 20,000 cameras.

    python -m benchmarks.bench_province [--halls 1000] [--cameras-per-hall 20]

Measures, side by side in one run: storing heartbeats (one ORM round trip per heartbeat, as
before, against the batched Core statements of ``CameraStore.apply_heartbeats``), rendering
``/metrics`` (coverage of every camera and hall), and loading the province's YAML config.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import yaml

from alerts.exposition import render
from alerts.metrics import ServiceMetrics
from alerts.store.cameras import CameraStore
from alerts.store.repositories import Repositories
from alerts.store.schema import CameraState, utcnow
from configs.loader import load_config
from domain.events import Heartbeat
from streams.wire import encode
from tests.alert_fixtures import heartbeat


def province(halls: int, per_hall: int) -> dict:
    counties = 20
    towns_per_county = max(1, halls // counties)
    regions = [{"id": "p", "name": "市", "level": "city"}]
    regions += [{"id": f"k{k}", "name": f"县{k}", "level": "county", "parent": "p"} for k in range(counties)]
    regions += [
        {"id": f"t{k}-{t}", "name": f"乡{k}-{t}", "level": "township", "parent": f"k{k}"}
        for k in range(counties)
        for t in range(towns_per_county)
    ]
    towns = [r["id"] for r in regions if r["level"] == "township"]
    hall_list = [
        {
            "id": f"h{i}",
            "name": f"大厅{i}",
            "region": towns[i % len(towns)],
            "windows": [{"id": f"w{w}"} for w in range(4)],
        }
        for i in range(halls)
    ]
    post = lambda w: {  # noqa: E731
        "id": f"p{w}",
        "kind": "post",
        "window": f"w{w}",
        "polygon": [[10 + 100 * w, 10], [90 + 100 * w, 10], [90 + 100 * w, 90], [10 + 100 * w, 90]],
    }
    cameras = [
        {"id": f"c{i}-{j}", "hall": f"h{i}", "source": f"rtsp://10.0.{i % 250}.{j}/s", "zones": [post(j % 4)]}
        for i in range(halls)
        for j in range(per_hall)
    ]
    return {"regions": regions, "halls": hall_list, "cameras": cameras, "evidence": {"hmac_key": "k"}}


def beat(camera: str, hall: str) -> Heartbeat:
    return heartbeat(camera, hall)


def orm_heartbeats(store: CameraStore, beats: list[Heartbeat]) -> None:
    """The previous implementation, kept here as the yardstick."""
    now = utcnow()
    with store.db.session() as session:
        for b in beats:
            state = session.get(CameraState, b.camera_id)
            if state is None:
                session.add(
                    CameraState(
                        camera_id=b.camera_id, hall_id=b.hall_id, status=b.status, received_at=now, payload=encode(b)
                    )
                )
            else:
                state.hall_id, state.status, state.received_at, state.payload = b.hall_id, b.status, now, encode(b)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--halls", type=int, default=1000)
    parser.add_argument("--cameras-per-hall", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HALLWATCH_CACHE"] = tmp  # a cold cache: the first load parses the YAML
        data = province(args.halls, args.cameras_per_hall)
        for name, text in (
            ("YAML", yaml.safe_dump(data, allow_unicode=True)),
            ("JSON", json.dumps(data, ensure_ascii=False)),
        ):
            path = Path(tmp) / f"province.{name.lower()}"
            path.write_text(text)
            for attempt in ("first load", "next start") if name == "YAML" else ("load",):
                started = time.perf_counter()
                cfg = load_config(path)
                load_s = time.perf_counter() - started
                print(
                    f"config as {name} ({len(cfg.regions)} regions, {len(cfg.halls)} halls, {len(cfg.cameras)} cameras, "
                    f"{path.stat().st_size / 2**20:.1f} MB), {attempt}: {load_s:.1f} s (target < 5 s)"
                )
        beats = [beat(c.id, c.hall) for c in cfg.cameras]
        for name, apply in (
            ("one ORM round trip per heartbeat", orm_heartbeats),
            ("batched Core statements", lambda s, b: s.apply_heartbeats(b)),
        ):
            repos = Repositories.open(f"sqlite:///{tmp}/{name[:3]}.db")
            store = repos.cameras
            apply(store, beats[:500])  # warm up, and make the first cameras known
            started = time.perf_counter()
            for i in range(0, len(beats), 500):
                apply(store, beats[i : i + 500])
            rate = len(beats) / (time.perf_counter() - started)
            print(f"heartbeats, {name}: {rate:,.0f}/s (SQLite, batches of 500)")
        metrics = ServiceMetrics(cfg, repos)
        from prometheus_client import generate_latest

        started = time.perf_counter()
        body = render(metrics.registry)
        print(
            f"/metrics with {len(cfg.cameras)} cameras, first scrape (today's attendance computed): "
            f"{time.perf_counter() - started:.2f} s ({len(body) / 2**20:.1f} MB; target < 1 s)"
        )
        timings: dict[str, list[float]] = {
            "prometheus_client's exposition": [],
            "the service's (cached label texts)": [],
        }
        for _ in range(5):  # alternating, side by side
            for name, write in zip(timings, (generate_latest, render)):
                started = time.perf_counter()
                write(metrics.registry)
                timings[name].append(time.perf_counter() - started)
        print(
            "/metrics, next scrapes (5 each, alternating; min / median): "
            + ", ".join(f"{name} {min(v):.2f} / {sorted(v)[2]:.2f} s" for name, v in timings.items())
            + " (target < 1 s)"
        )


if __name__ == "__main__":
    main()
