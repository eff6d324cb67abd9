"""Cameras per machine in real time: N copies of the demo camera at 2 analysed frames/s, paced to
the wall clock as live cameras deliver them, evidence on, for a fixed time; each camera's share
of the frames it should have had analysed.

    python -m benchmarks.bench_capacity [--cameras 16,20] [--seconds 60] [--detection-areas frame,zones]
        [--precisions fp32,bf16,int8] [--max-batches 1,8] [--decode-threads 0,1] [--busy-waits off,on]
        [--still-rechecks 0,3] [--appearance-weights 0,0.3] [--starts staggered,together] [--live]

A camera that falls behind is not dropped by the file source (it lags): the frames analysed in
the time are what a live camera would have got analysed. Beside them, the frames each camera
received (decoded) a second: the footage has 7; a live camera that cannot be read in time loses
frames in transport (the server drops what its client does not take), which a file cannot. Two shares: from the start (start-up —
the detector, the recorders, the first frames — counts against it, as on a restarted machine)
and in steady state (after the first WARM_S). ``--detection-areas`` runs each setting side by
side (``camera.detection_area``). Paced copies start at different points of the footage
(``--starts staggered``), as independent cameras show different moments; ``together`` starts them
all at its first frame, as this benchmark did before.

``--live``: each camera is a live RTSP camera instead (scripts/rtsp_camera.py serving the demo
footage as H.264, shared and looping, one server process per camera on this same machine): the
pipeline decodes the network streams and records each as segments (ffmpeg, stream copy) for the
evidence, as in a hall. The servers' own CPU is reported; in a hall it is the cameras'. Each server
starts the footage at its first frame when it is started, one after another within seconds: the
live cameras show nearly the same moments.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from benchmarks.bench_retention import cpu_seconds, looped, rtsp_camera
from benchmarks.common import ROOT
from configs.loader import load_config
from ingest.pipeline import Pipeline
from streams.publisher import NullPublisher

RATE = 2.0
WARM_S = 15.0
FOOTAGE_S = 113  # the demo footage's length
T = TypeVar("T")


def run(
    config_path: str,
    cameras: int,
    seconds: float,
    camera: dict | None = None,
    urls: list[str] | None = None,
    detector: dict | None = None,
    tracker: dict | None = None,
) -> tuple[list[float], list[float], float, list[float]]:
    """Each camera's share of its frames, from the start and after WARM_S; the mean frames per
    detector call; each camera's frames received a second after WARM_S. ``camera``, ``detector``,
    ``tracker``: settings that differ from the config's."""
    cfg = load_config(config_path)
    cfg = cfg.model_copy(
        update={
            "detector": cfg.detector.model_copy(update=detector or {}),
            "tracker": cfg.tracker.model_copy(update=tracker or {}),
        }
    )
    base = cfg.cameras[0]
    update: dict = {"analysis_fps": RATE, **(camera or {})}
    with tempfile.TemporaryDirectory() as evidence:
        copies = [
            base.model_copy(update={**update, "id": f"{base.id}-{i}", **({"source": urls[i]} if urls else {})})
            for i in range(cameras)
        ]
        cfg = cfg.model_copy(
            update={
                "cameras": copies,
                "evidence": cfg.evidence.model_copy(update={"enabled": True, "root": evidence}),
                "metrics_port": 0,
            }
        )
        pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list, realtime=True)
        stop = threading.Event()
        thread = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
        started = time.monotonic()
        thread.start()
        stop.wait(WARM_S)
        warm_at = time.monotonic()
        warm = {camera_id: analysis.frames for camera_id, analysis in pipeline.analyses.items()}
        received_warm = {camera_id: worker.stats.frames_in for camera_id, worker in pipeline.workers.items()}
        stop.wait(max(0.0, seconds - WARM_S))
        ended = time.monotonic()
        counts = {camera_id: analysis.frames for camera_id, analysis in pipeline.analyses.items()}
        received = [
            (worker.stats.frames_in - received_warm.get(camera_id, 0)) / (ended - warm_at)
            for camera_id, worker in pipeline.workers.items()
        ]
        shared = pipeline.detector
        per_call = shared.frames / shared.batches if shared is not None and shared.batches else 0.0
        stop.set()
        thread.join(timeout=60)
    missing = [0.0] * (cameras - len(counts))
    from_start = [min(1.0, n / ((ended - started) * RATE)) for n in counts.values()] + missing
    steady = [min(1.0, (n - warm.get(c, 0)) / ((ended - warm_at) * RATE)) for c, n in counts.items()] + missing
    return from_start, steady, per_call, received


def staggered_copies(count: int, seconds: float, folder: Path) -> list[str]:
    """``count`` copies of the demo footage, each starting at a different point of it (cut at the
    keyframe before, by stream copy), as independent cameras show different moments: copies that
    all start at the first frame see every person and every violation at the same instant."""
    footage = looped(ROOT / "data" / "vtest.mp4", seconds + FOOTAGE_S, folder / "loop.mp4")
    copies = []
    for i in range(count):
        out = folder / f"copy-{i}.mp4"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", f"{i * FOOTAGE_S / count:.2f}", "-i",
             str(footage), "-c", "copy", "-t", f"{seconds + 10:.0f}", str(out)],
            check=True,
        )  # fmt: skip
        copies.append(str(out))
    return copies


def live_cameras(count: int, folder: Path) -> tuple[list[str], list[subprocess.Popen]]:
    footage = looped(ROOT / "data" / "vtest.mp4", 600, folder / "loop.mp4")
    cameras = [rtsp_camera(footage, loop=True) for _ in range(count)]
    return [url for url, _ in cameras], [server for _, server in cameras]


def settings(text: str, kind: Callable[[str], T]) -> list[T | None]:
    """A comma-separated option's values; [None] (the config's own) when it is empty."""
    return [kind(value) for value in text.split(",") if value] or [None]


def given(**values: object) -> dict:
    """The settings that were given (not None): overrides of the config's."""
    return {key: value for key, value in values.items() if value is not None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=str(ROOT / "configs" / "demo.yaml"))
    parser.add_argument("--cameras", default="16,20")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--detection-areas", default="", help="e.g. frame,zones (default: the config's)")
    parser.add_argument("--precisions", default="", help="e.g. fp32,bf16 (default: the config's detector.precision)")
    parser.add_argument("--max-batches", default="", help="e.g. 1,8 (default: the config's detector.max_batch)")
    parser.add_argument("--decode-threads", default="", help="e.g. 0,1 (0: FFmpeg's choice; default: the config's)")
    parser.add_argument("--busy-waits", default="", help="e.g. off,on: detector.busy_wait (default: the config's)")
    parser.add_argument("--still-rechecks", default="", help="e.g. 0,3: camera.still_recheck_s (default: the config's)")
    parser.add_argument(
        "--appearance-weights", default="", help="e.g. 0,0.3: tracker.appearance_weight (default: the config's)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all settings, alternating")
    parser.add_argument("--live", action="store_true", help="live RTSP cameras instead of paced files")
    parser.add_argument(
        "--starts",
        default="staggered",
        help="paced files: staggered (each copy from another point of the footage, the default), together "
        "(every copy from the first frame: all see the same moment), or both",
    )
    args = parser.parse_args()
    logging.basicConfig(level=getattr(logging, os.environ.get("HALLWATCH_BENCH_LOG", "WARNING")))
    areas = settings(args.detection_areas, str)
    precisions = settings(args.precisions, str)
    batches = settings(args.max_batches, int)
    threads = settings(args.decode_threads, int)
    waits = settings(args.busy_waits, lambda value: value == "on")
    stills = settings(args.still_rechecks, float)
    looks = settings(args.appearance_weights, float)
    counts = [int(x) for x in args.cameras.split(",")]
    starts = ["live"] if args.live else args.starts.split(",")
    rounds = [
        setting
        for _ in range(args.repeat)
        for setting in itertools.product(counts, starts, areas, precisions, batches, threads, waits, stills, looks)
    ]
    for cameras, start, area, precision, max_batch, decode_threads, busy_wait, still, look in rounds:
        detector = given(precision=precision, max_batch=max_batch, busy_wait=busy_wait)
        camera = given(detection_area=area, decode_threads=decode_threads, still_recheck_s=still)
        tracker = given(appearance_weight=look)
        servers: list[subprocess.Popen] = []
        urls: list[str] | None = None
        with tempfile.TemporaryDirectory() as tmp:
            try:
                if args.live:
                    urls, servers = live_cameras(cameras, Path(tmp))
                else:
                    urls = staggered_copies(cameras, args.seconds, Path(tmp)) if start == "staggered" else None
                before = sum(cpu_seconds(s.pid) for s in servers)
                started = time.monotonic()
                from_start, steady, per_call, received = run(
                    args.config, cameras, args.seconds, camera, urls, detector, tracker
                )
                server_cpu = (sum(cpu_seconds(s.pid) for s in servers) - before) / (time.monotonic() - started)
            finally:
                for server in servers:
                    server.terminate()
                    server.wait(timeout=10)
        kind = f"live RTSP (their servers {server_cpu:.0%} of a core)" if args.live else f"paced files ({start})"
        print(
            f"{cameras:3d} {kind} at {RATE:g} fps, evidence on, detection area {area or 'default'}, "
            f"precision {precision or 'default'}, max batch {max_batch or 'default'}, "
            f"decode threads {'default' if decode_threads is None else decode_threads}, "
            f"busy wait {'default' if busy_wait is None else 'on' if busy_wait else 'off'}, "
            f"still recheck {'default' if still is None else f'{still:g} s'}, "
            f"appearance weight {'default' if look is None else f'{look:g}'} "
            f"({per_call:.2f} frames per detector call): frames "
            f"analysed per camera from the start min {min(from_start):.0%} median "
            f"{statistics.median(from_start):.0%}; after {WARM_S:g} s min {min(steady):.0%} median "
            f"{statistics.median(steady):.0%}, {sum(s >= 0.95 for s in steady)} of {cameras} at >= 95 %; "
            f"frames received a second per camera median {statistics.median(received or [0]):.1f} "
            f"(min {min(received or [0]):.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
