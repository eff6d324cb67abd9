"""Evidence cost: the camera's analysed frames/s with evidence on ÷ off, side by side in one run.

    python -m benchmarks.bench_evidence [--repeat 3] [--codec h264|h265]

The demo hall on its H.264 camera file (vtest.mp4, no Kafka), run with evidence off, on (clips cut
from the camera's own stream by stream copy, overlay as data), and on with ``stream_copy: false``
(the fallback for sources that are not H.264: the analysed frames encoded once), interleaved, for
two scenes: the demo (5 analysed frames/s) and every frame analysed (7 frames/s, the dense case).
``--codec h265``: the same footage as an H.265 camera file (made here with libx265, no B-frames, a
keyframe every 2 s as the H.264 copy has), cut by stream copy as H.264 is.
frames/s is the camera's analysed rate up to its last frame; "with the drain" divides by the whole
run instead, which ends with the clip jobs still queued when the footage ended (a fixed tail that a
short file weighs heavily and a hall's camera, which does not end, never has). Also: wall time per clip job, from a clip's end being analysed to its evidence being published,
and the evidence written per hour of footage.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT
from configs.loader import load_config
from ingest.pipeline import Pipeline
from streams.publisher import NullPublisher

TARGET = 0.9


def run(cfg) -> dict:
    pipeline = Pipeline(cfg, use_kafka=False, publisher=NullPublisher(), absences=list)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    pipeline.run(threading.Event())
    elapsed = time.monotonic() - start
    # The camera's rate is up to its last analysed frame; after it the run only waits for the clip
    # jobs still queued (the footage ended), which no camera of a hall ever does.
    analysing = max((w.stats.last_frame_monotonic or start) - start for w in pipeline.workers.values())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ffmpeg_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    analyses = list(pipeline.analyses.values())
    recorders = [a.recorder for a in analyses if a.recorder]
    frames = sum(a.frames for a in analyses)
    return {
        "fps": frames / max(1e-9, analysing),
        "fps_with_drain": frames / elapsed,
        "wall": elapsed,
        "jobs": [s for r in recorders for s in r.write_seconds],
        "after": [s for r in recorders for s in r.available_after_s],
        "cpu": [s for r in recorders for s in r.write_cpu_s],
        "ffmpeg_cpu": ffmpeg_cpu,
        "methods": {m: sum(r.clip_methods.get(m, 0) for r in recorders) for r in recorders for m in r.clip_methods},
    }


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "live" not in p.parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--codec", choices=["h264", "h265"], default="h264")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = load_config(ROOT / "configs" / "demo.yaml")
    camera = base.cameras[0]
    source_dir = tempfile.TemporaryDirectory()
    if args.codec == "h265":
        hevc = Path(source_dir.name) / "vtest-hevc.mp4"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(ROOT / "data" / "vtest.mp4"), "-c:v", "libx265",
             "-preset", "fast", "-x265-params", "keyint=14:min-keyint=14:bframes=0:log-level=error", "-tag:v", "hvc1",
             str(hevc)],
            check=True,
        )  # fmt: skip
        camera = camera.model_copy(update={"source": str(hevc)})
    print(f"source: {camera.source}")
    footage_s = 795 / 7  # vtest: 795 frames captured at 7 frames/s
    scenes = {"demo, 5 fps analysed": 5.0, "every frame (7 fps), dense": 7.0}
    modes = ("off", "copy", "encode")
    results: dict[tuple[str, str], list[dict]] = {}
    disk: dict[str, int] = {}
    for _ in range(args.repeat):
        for scene, fps in scenes.items():
            for mode in modes:
                with tempfile.TemporaryDirectory() as tmp:
                    evidence = base.evidence.model_copy(
                        update={
                            "enabled": mode != "off",
                            "root": tmp,
                            "stream_copy": mode == "copy",
                            "live_snapshot_s": 0,
                        }
                    )
                    cameras = [camera.model_copy(update={"analysis_fps": fps})]
                    cfg = base.model_copy(update={"evidence": evidence, "cameras": cameras, "metrics_port": 0})
                    result = run(cfg)
                    results.setdefault((scene, mode), []).append(result)
                    if mode != "off":
                        disk[f"{scene}/{mode}"] = folder_bytes(Path(tmp))
    print(
        f"{'scene':30} {'evidence':22} {'frames/s':>9} {'on ÷ off':>9} {'target':>7} {'wall s':>7} "
        f"{'with the drain':>15}  clips"
    )
    for scene in scenes:
        off = max(r["fps"] for r in results[(scene, "off")])
        off_drained = max(r["fps_with_drain"] for r in results[(scene, "off")])
        for mode, label in (("off", "off"), ("copy", "on: stream copy"), ("encode", "on: encode frames once")):
            best = max(results[(scene, mode)], key=lambda r: r["fps"])
            ratio = best["fps"] / off
            drained = max(r["fps_with_drain"] for r in results[(scene, mode)]) / off_drained
            target = f"≥ {TARGET}" if mode == "copy" else ""
            print(
                f"{scene:30} {label:22} {best['fps']:9.1f} {ratio:9.3f} {target:>7} {best['wall']:7.1f} "
                f"{drained:15.3f}  {best['methods'] or ''}"
            )
    for scene in scenes:
        for mode in ("copy", "encode"):
            jobs = [s for r in results[(scene, mode)] for s in r["jobs"]]
            after = [s for r in results[(scene, mode)] for s in r["after"]]
            if jobs:
                cpu = sum(s for r in results[(scene, mode)] for s in r["cpu"])
                ffmpeg_cpu = sum(r["ffmpeg_cpu"] for r in results[(scene, mode)])
                print(
                    f"{scene} / {mode}: CPU per clip job {cpu / len(jobs) * 1000:.0f} ms in the writer thread + "
                    f"{ffmpeg_cpu / len(jobs) * 1000:.0f} ms in ffmpeg/ffprobe (the wall times below wait for a busy CPU)"
                )
                print(
                    f"{scene} / {mode}: {len(jobs) // args.repeat} clip jobs; per job median {statistics.median(jobs):.2f} s, "
                    f"max {max(jobs):.2f} s; opened → evidence published median {statistics.median(after):.1f} s "
                    f"(includes post_s {base.evidence.post_s:.0f} s of video still to come); "
                    f"{disk[f'{scene}/{mode}'] / 2**20 / footage_s * 3600:.0f} MB per camera-hour of this scene"
                )


if __name__ == "__main__":
    main()
