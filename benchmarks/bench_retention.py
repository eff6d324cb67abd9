"""What video on request (视频回溯) costs per camera: a live RTSP camera (the demo footage, H.264, served
by scripts/rtsp_camera.py as one shared live picture) recorded by the pipeline's segment recorder
(stream copy) for ``--seconds``; then

- disk per camera-hour: bytes of the segments ÷ the seconds they hold × 3600 (and × 24 for the
  default ``retain_h``), beside the source's own bitrate;
- the recorder's CPU: ffmpeg's user + system time ÷ wall time (one process per camera);
- cutting: a span of the recording joined by stream copy (the officer's request), seconds;
- reading a day's listing: the index of one camera's 24 h of 2 s segments (43,200 lines) read
  once, then refreshed with one new line.

    python -m benchmarks.bench_retention [--seconds 180] [--segment-s 2]

The disk figure is the camera's bitrate: a real 1080p camera at 4 Mbit/s keeps 1.8 GB an hour
whatever this machine does; the footage here is 768×576 at 10 fps."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import ROOT

SYSTEM_PYTHON = "/usr/bin/python3"


def looped(source: Path, seconds: float, out: Path, source_s: float = 113) -> Path:
    """The footage repeated for the run, by stream copy."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{source.resolve()}'\n" for _ in range(int(seconds / source_s) + 2)))
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-c", "copy", str(out)],
        check=True,
    )  # fmt: skip
    return out


def rtsp_camera(footage: Path, loop: bool = False) -> tuple[str, subprocess.Popen]:
    """A live H.264 RTSP camera serving ``footage`` (scripts/rtsp_camera.py, shared by its clients):
    its URL and its process, once it is ready."""
    from streams.broker import free_port

    port = free_port()
    server = subprocess.Popen(
        [SYSTEM_PYTHON, str(ROOT / "scripts" / "rtsp_camera.py"), "--port", str(port), "--file", str(footage),
         "--codec", "h264", "--shared", *(["--loop"] if loop else [])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return f"rtsp://127.0.0.1:{port}/cam", server


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--segment-s", type=float, default=2)
    args = parser.parse_args()

    from alerts.evidence.recorded import Recordings
    from configs.loader import load_config
    from ingest.evidence.segments import SegmentRecorder
    from streams.evidence.recordings import SegmentIndex, recordings_folder
    from streams.evidence.video import probe

    base = load_config(ROOT / "configs" / "demo.yaml")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        footage = looped(ROOT / "data" / "vtest.mp4", args.seconds + 30, tmp / "loop.mp4")
        info = probe(str(footage))
        url, server = rtsp_camera(footage)
        evidence = base.evidence.model_copy(
            update={"root": str(tmp / "evidence"), "segment_s": args.segment_s, "hmac_key": "bench", "min_free_mb": 0}
        )
        camera = base.cameras[0].model_copy(update={"source": url, "start_time": None})
        cfg = base.model_copy(update={"cameras": [camera], "evidence": evidence})
        recorder = SegmentRecorder(camera, recordings_folder(evidence.root, camera.id), args.segment_s, 86400)
        recorder.start()
        try:
            while recorder._process is None:
                time.sleep(0.2)
            pid = recorder._process.pid
            started, cpu0 = time.monotonic(), cpu_seconds(pid)
            time.sleep(args.seconds)
            wall, cpu = time.monotonic() - started, cpu_seconds(pid) - cpu0
            index = SegmentIndex(recorder.folder)
            segments = index.segments()
            held = sum(s.seconds for s in segments)
            size = index.bytes()
            # An officer's request: the last minute (or what there is), joined by stream copy.
            end = datetime.fromtimestamp(segments[-1].end, UTC) - timedelta(seconds=1)
            start = max(end - timedelta(seconds=60), datetime.fromtimestamp(segments[0].start, UTC))
            recordings = Recordings(cfg)
            t0 = time.perf_counter()
            cut = recordings.cut(camera.id, start, end, tmp / "cut.mp4")
            cut_s = time.perf_counter() - t0
            cut_mib = cut.path.stat().st_size / 2**20 if cut is not None else 0.0
        finally:
            recorder.stop()
            server.kill()
        # A day's listing: 43,200 segments of 2 s.
        day = tmp / "day"
        day.mkdir()
        t = time.time() - 86400
        lines = [f"1-{i:06d}.ts,{t + 2 * i:.6f},{t + 2 * i + 2:.6f}\n" for i in range(43200)]
        (day / "1.csv").write_text("".join(lines))
        for i in range(43200):
            (day / f"1-{i:06d}.ts").touch()
        big = SegmentIndex(day)
        t0 = time.perf_counter()
        big.segments()
        first_read = time.perf_counter() - t0
        with (day / "1.csv").open("a") as f:
            f.write(f"1-043200.ts,{t + 86400:.6f},{t + 86402:.6f}\n")
        (day / "1-043200.ts").write_bytes(b"")
        t0 = time.perf_counter()
        newest = big.covered_until()
        refresh = time.perf_counter() - t0
    per_hour = size / held * 3600
    print(f"source: {info.codec if info else '?'} {info.width if info else 0}x{info.height if info else 0} "
          f"at {info.fps if info else 0:g} fps; segments of {args.segment_s:g} s")  # fmt: skip
    print(f"recorded {len(segments)} segments holding {held:.1f} s of {wall:.1f} s wall ({held / wall:.1%})")
    print(f"disk: {size / 2**20:.1f} MiB = {per_hour / 2**20:.1f} MiB per camera-hour "
          f"({size * 8 / held / 1000:.0f} kbit/s); retain_h 24: {per_hour * 24 / 2**30:.2f} GiB per camera")  # fmt: skip
    print(f"recorder CPU (ffmpeg, stream copy): {cpu:.2f} s over {wall:.0f} s = {cpu / wall:.2%} of one core")
    if cut is not None:
        span = (cut.end - cut.start).total_seconds()
        print(f"cut {span:.0f} s by stream copy in {cut_s:.2f} s ({cut_mib:.1f} MiB)")
    print(f"a day's listing (43,200 lines): first read {first_read * 1000:.0f} ms, "
          f"then a new segment {refresh * 1000:.2f} ms (newest ends {newest - t - 86400:.0f} s after the day)")  # fmt: skip


if __name__ == "__main__":
    main()
