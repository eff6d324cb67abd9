"""Evidence soak on live H.264 RTSP cameras: memory, CPU and disk per camera, and the time from a
violation's opening to its evidence, over a wall-clock run (default 15 minutes).

    python -m benchmarks.soak_evidence [--minutes 15] [--cameras 2] [--analysis-fps 5]

A real RTSP server (GStreamer, scripts/rtsp_camera.py, one shared live picture per camera) plays the
demo footage (vtest.mp4, H.264 at 7 frames/s) in a loop long enough for the run; the pipeline runs
the demo hall (offline detector, evidence on: segments by stream copy, overlay data) without Kafka.
Every 10 s: the resident memory of the pipeline and of its ffmpeg recorders, and their CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks.common import ROOT
from configs.loader import load_config
from ingest.pipeline import Pipeline
from streams.broker import free_port
from streams.publisher import NullPublisher

SYSTEM_PYTHON = "/usr/bin/python3"


def looped(source: Path, minutes: float, out: Path) -> Path:
    """The footage repeated for the run, by stream copy."""
    repeats = int(minutes * 60 / 113) + 2
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{source.resolve()}'\n" for _ in range(repeats)))
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-c",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out


def tree(process: psutil.Process) -> tuple[float, float, float]:
    """(pipeline RSS MB, ffmpeg RSS MB, CPU seconds of both)."""
    rss, ffmpeg_rss, cpu = process.memory_info().rss, 0, sum(process.cpu_times()[:2])
    for child in process.children(recursive=True):
        try:
            if child.name() != "ffmpeg":  # the RTSP servers (the cameras) are not ours to count
                continue
            ffmpeg_rss += child.memory_info().rss
            cpu += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return rss / 2**20, ffmpeg_rss / 2**20, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--cameras", type=int, default=2)
    parser.add_argument("--analysis-fps", type=float, default=5.0)
    args = parser.parse_args()
    base = load_config(ROOT / "configs" / "demo.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        footage = looped(ROOT / "data" / "vtest.mp4", args.minutes, tmp / "loop.mp4")
        servers, cameras = [], []
        for n in range(args.cameras):
            port = free_port()
            server = subprocess.Popen(
                [
                    SYSTEM_PYTHON,
                    str(ROOT / "scripts" / "rtsp_camera.py"),
                    "--port",
                    str(port),
                    "--file",
                    str(footage),
                    "--codec",
                    "h264",
                    "--shared",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert server.stdout.readline().strip() == "ready"
            servers.append(server)
            cameras.append(
                base.cameras[0].model_copy(
                    update={
                        "id": f"cam-{n + 1:02d}",
                        "source": f"rtsp://127.0.0.1:{port}/cam",
                        "start_time": None,
                        "analysis_fps": args.analysis_fps,
                    }
                )
            )
        evidence = base.evidence.model_copy(update={"root": str(tmp / "evidence"), "live_snapshot_s": 10})
        cfg = base.model_copy(update={"cameras": cameras, "evidence": evidence, "metrics_port": 0})
        pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list)
        stop = threading.Event()
        thread = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
        me = psutil.Process()
        samples = []
        started = time.monotonic()
        thread.start()
        try:
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(10)
                samples.append((time.monotonic() - started, *tree(me)))
                t, rss, ff, cpu = samples[-1]
                print(
                    f"{t:6.0f} s  pipeline RSS {rss:7.1f} MB  recorders RSS {ff:6.1f} MB  CPU {cpu:7.1f} s", flush=True
                )
        finally:
            stop.set()
            thread.join(120)
            for server in servers:
                server.kill()
        analyses = list(pipeline.analyses.values())
        recorders = [a.recorder for a in analyses if a.recorder]
        frames = sum(a.frames for a in analyses)
        after = [s for r in recorders for s in r.available_after_s]
        methods = {}
        for r in recorders:
            for m, k in r.clip_methods.items():
                methods[m] = methods.get(m, 0) + k
        cases = sum(
            p.stat().st_size
            for p in (tmp / "evidence").rglob("*")
            if p.is_file() and "segments" not in p.parts and "live" not in p.parts
        )
        segments = sum(p.stat().st_size for p in (tmp / "evidence" / "segments").rglob("*.ts"))
        hours = (samples[-1][0] if samples else 1) / 3600
        n = args.cameras
        first = next((s for s in samples if s[0] >= 60), samples[0])
        print(
            f"\n{n} live H.264 RTSP camera(s) at analysis_fps {args.analysis_fps:g}, {args.minutes:.0f} min, "
            f"{frames / (samples[-1][0]) / n:.2f} analysed frames/s per camera"
        )
        print(
            f"pipeline RSS: after 1 min {first[1]:.0f} MB, peak {max(s[1] for s in samples):.0f} MB, end {samples[-1][1]:.0f} MB "
            f"-> {samples[-1][1] / n:.0f} MB per camera (target < 300); ffmpeg recorders {samples[-1][2] / n:.0f} MB per camera"
        )
        cpu = samples[-1][3] - samples[0][3]
        print(
            f"CPU: {cpu / (samples[-1][0] - samples[0][0]) / n * 100:.0f} % of a core per camera (analysis + recording)"
        )
        print(
            f"evidence clips: {methods}; opened -> evidence published median {statistics.median(after) if after else float('nan'):.1f} s, "
            f"max {max(after) if after else float('nan'):.1f} s (post_s {base.evidence.post_s:.0f} s + a segment + writing)"
        )
        print(
            f"disk: case folders {cases / 2**20 / hours / n:.0f} MB per camera-hour; rolling segments held "
            f"{segments / 2**20 / n:.0f} MB per camera (max_clip_s {base.evidence.max_clip_s:.0f} s of stream)"
        )


if __name__ == "__main__":
    main()
