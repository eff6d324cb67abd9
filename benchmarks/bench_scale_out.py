"""Scale-out: hand-over after a kill, rebalance on a join, and analysed frames/s with 1, 2 and 3
workers on the same inputs, with real worker processes and a real broker started here.

    python -m benchmarks.bench_scale_out [--kills 5] [--cameras 4]

Frames/s: every camera replays vtest.avi through the offline detector at 25 analysed frames/s
demanded (more than one machine gives), live-anchored as in a group, and the heartbeats' analysed
rates are summed over 20 s. On the 2-core development machine the cores cap the total: the
numbers say how the work spreads, not how it scales on more machines.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from kafka import KafkaConsumer

from benchmarks.common import ROOT, VTEST
from streams.broker import KafkaBroker, free_port
from streams.topics import ensure_topics

TZ = ZoneInfo("Asia/Shanghai")


def config(
    folder: Path, bootstrap: str, cameras: int, start: datetime, source: str, fps: float, source_fps: float = 7
) -> Path:
    data = {
        "regions": [{"id": "c", "name": "市", "level": "city"}],
        "halls": [{"id": "h", "name": "大厅", "region": "c", "windows": [{"id": "w1"}]}],
        "cameras": [
            {
                "id": f"cam{i}",
                "hall": "h",
                "source": source,
                "analysis_fps": fps,
                "source_fps": source_fps,
                "start_time": start.isoformat(),
                "frame_size": [768, 576],
                "zones": [
                    {
                        "id": "p1",
                        "kind": "post",
                        "window": "w1",
                        "polygon": [[100, 100], [300, 100], [300, 300], [100, 300]],
                    }
                ],
            }
            for i in range(cameras)
        ],
        "kafka": {
            "bootstrap_servers": bootstrap,
            "heartbeat_interval_s": 1,
            "worker_session_timeout_s": 6,
            "spool_dir": str(folder / "spool"),
        },
        "metrics_port": 0,
        "evidence": {"enabled": False},
    }
    path = folder / f"site-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Beats(threading.Thread):
    def __init__(self, bootstrap: str):
        super().__init__(daemon=True)
        self.seen: list[tuple[float, str, str, float]] = []  # online heartbeats
        self.rates: list[tuple[float, str, float]] = []  # every heartbeat's analysed rate
        self.consumer = KafkaConsumer(
            "hallwatch.heartbeats",
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            consumer_timeout_ms=300,
        )
        self.halt = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.halt.is_set():
            for r in self.consumer:
                b = json.loads(r.value)
                self.rates.append((time.monotonic(), b["camera_id"], b["fps_analysed"]))
                if b["status"] == "online":
                    self.seen.append((time.monotonic(), b["camera_id"], b.get("worker_id"), b["fps_analysed"]))


def start_worker(cfg: Path, group: str, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run_pipeline.py", "--config", str(cfg), "--group", group, "--worker-id", name],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(60)


def owners(beats: Beats, since: float) -> dict[str, str]:
    return {cam: worker for at, cam, worker, _ in beats.seen if at >= since}


def handovers(folder: Path, bootstrap: str, beats: Beats, kills: int, mot: Path) -> list[float]:
    out = []
    for k in range(kills):
        start = datetime.now(TZ) + timedelta(seconds=5)
        cfg = config(folder, bootstrap, 6, start, f"mot:{mot}", 5)
        group = f"bench-{uuid.uuid4().hex[:6]}"
        procs = {n: start_worker(cfg, group, n) for n in ("a", "b", "c")}
        time.sleep(20)
        current = owners(beats, time.monotonic() - 3)
        victim = max(set(current.values()), key=lambda w: sum(v == w for v in current.values()))
        cams = [c for c, w in current.items() if w == victim]
        procs[victim].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        deadline = killed + 40
        while time.monotonic() < deadline:
            moved = {cam: at for at, cam, worker, _ in beats.seen if at > killed and worker != victim}
            if all(c in moved for c in cams):
                out.append(max(moved[c] for c in cams) - killed)
                break
            time.sleep(0.2)
        stop([p for n, p in procs.items() if n != victim])
        print(f"kill {k + 1}: {len(cams)} camera(s) on the others after {out[-1]:.1f} s", flush=True)
    return out


def join_time(folder: Path, bootstrap: str, beats: Beats, mot: Path) -> float:
    start = datetime.now(TZ) + timedelta(seconds=5)
    cfg = config(folder, bootstrap, 6, start, f"mot:{mot}", 5)
    group = f"bench-{uuid.uuid4().hex[:6]}"
    procs = [start_worker(cfg, group, n) for n in ("a", "b")]
    time.sleep(20)
    joined = time.monotonic()
    procs.append(start_worker(cfg, group, "c"))
    deadline = joined + 60
    took = float("nan")
    while time.monotonic() < deadline:
        if any(worker == "c" for at, _, worker, _ in beats.seen if at > joined):
            took = min(at for at, _, worker, _ in beats.seen if at > joined and worker == "c") - joined
            break
        time.sleep(0.2)
    stop(procs)
    return took


def throughput(folder: Path, bootstrap: str, beats: Beats, workers: int, cameras: int) -> float:
    start = datetime.now(TZ) + timedelta(seconds=15)  # vtest.avi as 25 fps: 32 s of video from here
    cfg = config(folder, bootstrap, cameras, start, str(VTEST), 25, source_fps=25)
    group = f"bench-{uuid.uuid4().hex[:6]}"
    procs = [start_worker(cfg, group, f"w{i}") for i in range(workers)]
    time.sleep(15 + 6)
    since = time.monotonic()
    time.sleep(20)
    rates: dict[str, list[float]] = {}
    for at, cam, fps in beats.rates:
        if at >= since:
            rates.setdefault(cam, []).append(fps)
    stop(procs)
    return sum(statistics.median(v) for v in rates.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--only", choices=["handover", "throughput"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mot = folder / "tracks.txt"
        mot.write_text("".join(f"{f},1,150,150,40,170,1,-1,-1,-1\n" for f in range(1, 601)))
        broker = KafkaBroker(folder / "broker", port=free_port(), controller_port=free_port())
        broker.start()
        try:
            ensure_topics(broker.bootstrap)
            beats = Beats(broker.bootstrap)
            if args.only != "throughput":
                times = handovers(folder, broker.bootstrap, beats, args.kills, mot)
                print(
                    f"hand-over after kill -9 (worker session timeout 6 s): median {statistics.median(times):.1f} s, "
                    f"max {max(times):.1f} s over {len(times)} kills"
                )
                print(
                    f"rebalance on join (from starting the third worker's process to its first camera): "
                    f"{join_time(folder, broker.bootstrap, beats, mot):.1f} s"
                )
            if args.only == "handover":
                return
            totals = {n: throughput(folder, broker.bootstrap, beats, n, args.cameras) for n in (1, 2, 3)}
            for n, total in totals.items():
                print(
                    f"{n} worker(s), {args.cameras} cameras of vtest.avi: {total:5.1f} analysed frames/s in all "
                    f"({total / n:.1f} per worker), ratio to 1 worker {total / totals[1]:.2f}"
                )
            beats.halt.set()
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
