"""Video files for evidence, with ffmpeg in its own process: probing a source, cutting a file or
joining recorded segments by stream copy (no decode, no encode), and encoding frames where no
H.264 stream exists to copy (USB cameras, MJPEG). Every clip is an MP4 with its index first
(``+faststart``), so a browser plays it while it downloads."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Codecs kept as the camera sent them (stream copy): H.264 and H.265, what IP cameras send. Every
# browser plays H.264; H.265 only some (the console asks the browser, and otherwise plays an H.264
# rendition made on demand, ``rendition``).
COPYABLE = {"h264", "hevc"}
BROWSER_SAFE = {"h264"}
# The MP4 sample entry of each copied codec: ``hvc1`` (parameter sets in the header), which Safari and
# the platform decoders Chromium uses require for HEVC; ffmpeg's default for HEVC is ``hev1``.
TAGS = {"hevc": ["-tag:v", "hvc1"]}


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise RuntimeError("ffmpeg is needed to write evidence clips (apt-get install ffmpeg)")
    return path


def ffprobe() -> str:
    path = shutil.which("ffprobe")
    if path is None:
        raise RuntimeError("ffprobe is needed to read evidence sources (apt-get install ffmpeg)")
    return path


def _nice() -> None:
    os.nice(10)  # evidence is background work: it yields the CPU to the cameras' analysis


def _run(cmd: list[str], what: str, timeout_s: float = 120) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, preexec_fn=_nice)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not {what}: {result.stderr.strip()[-500:]}")


@dataclass(frozen=True)
class MediaInfo:
    codec: str
    fps: float
    width: int
    height: int
    b_frames: int = 0  # frames the decoder holds back to reorder (B-frames); 0 for most IP cameras

    @property
    def copyable(self) -> bool:
        return self.codec in COPYABLE


def probe(source: str, timeout_s: float = 15, rtsp_transport: str = "tcp") -> MediaInfo | None:
    """The first video stream of a file or a live URL (None: unreadable or no video)."""
    cmd = [
        ffprobe(),
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=codec_name,avg_frame_rate,r_frame_rate,width,height,has_b_frames",
        "-of",
        "json",
    ]
    if "://" in source:  # a live stream: the codec is known from the first packets, no need to wait 5 s
        cmd += ["-analyzeduration", "1000000", "-probesize", "500000"]
    if source.startswith("rtsp"):
        cmd += ["-rtsp_transport", rtsp_transport]
    try:
        result = subprocess.run(cmd + [source], capture_output=True, text=True, timeout=timeout_s)
        streams = json.loads(result.stdout or "{}").get("streams") or []
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0 or not streams:
        return None
    s = streams[0]

    def rate(text: str | None) -> float:
        num, _, den = (text or "0/1").partition("/")
        try:
            return float(num) / float(den or 1) if float(den or 1) else 0.0
        except ValueError:
            return 0.0

    def count(value: object) -> int:
        try:
            return max(0, int(str(value)))
        except ValueError:
            return 0

    return MediaInfo(
        str(s.get("codec_name", "")),
        rate(s.get("avg_frame_rate")) or rate(s.get("r_frame_rate")),
        count(s.get("width")),
        count(s.get("height")),
        count(s.get("has_b_frames")),
    )


def keyframe_times(path: str | Path, timeout_s: float = 120) -> np.ndarray:
    """Presentation times (s) of a file's video keyframes, read from the packets (nothing decoded)."""
    cmd = [
        ffprobe(),
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "packet=pts_time,flags",
        "-of",
        "csv=p=0",
        str(path),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    times = []
    for line in result.stdout.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags:
            try:
                times.append(float(pts))
            except ValueError:
                continue
    return np.array(sorted(times), dtype=float)


def cut(
    source: str | Path,
    start_s: float,
    duration_s: float,
    out: Path,
    copy: bool = True,
    time_scale: float = 1.0,
    codec: str = "h264",
) -> Path:
    """``duration_s`` of a file from ``start_s`` (file seconds). ``copy``: the packets as they are
    (``start_s`` must be a keyframe's time, or the clip starts at the keyframe before it); else
    encoded once to H.264 from exactly ``start_s``. ``time_scale`` stretches the clip's timeline
    (a file whose container rate is not the rate it was captured at)."""
    partial = out.with_suffix(".partial.mp4")
    codec_args = (
        ["-c", "copy", *TAGS.get(codec, [])]
        if copy
        else [
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-threads",
            "1",
            "-pix_fmt",
            "yuv420p",
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        ]
    )
    _run(
        [
            ffmpeg(),
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            f"{start_s:.6f}",
            "-i",
            str(source),
            "-t",
            f"{duration_s:.6f}",
            "-map",
            "0:v:0",
            "-an",
            *codec_args,
            "-avoid_negative_ts",
            "make_zero",
            "-movflags",
            "+faststart",
            str(partial),
        ],
        f"cut {source}",
    )
    if abs(time_scale - 1.0) > 1e-6:  # retiming is a second stream copy: -itsscale and -ss disagree on units
        scaled = out.with_suffix(".scaled.mp4")
        try:
            _run(
                [
                    ffmpeg(),
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-y",
                    "-itsscale",
                    f"{time_scale:.9f}",
                    "-i",
                    str(partial),
                    "-map",
                    "0:v:0",
                    "-c",
                    "copy",
                    *TAGS.get(codec, []),
                    "-movflags",
                    "+faststart",
                    str(scaled),
                ],
                "retime a clip",
            )
        finally:
            partial.unlink(missing_ok=True)
        partial = scaled
    partial.rename(out)
    return out


def join(segments: list[Path], out: Path, codec: str | None = None) -> Path:
    """Recorded segments, in order, as one MP4 by stream copy (``codec``: the stream's, probed from
    the first segment when not given)."""
    if not segments:
        raise ValueError("no segments to join")
    partial = out.with_suffix(".partial.mp4")
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:  # not in the case folder: it is signed
        listing.write("".join(f"file '{p.resolve().as_posix()}'\n" for p in segments))
        listing.flush()
        _run(
            [
                ffmpeg(),
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                listing.name,
                "-map",
                "0:v:0",
                "-c",
                "copy",
                *TAGS.get(codec or _codec(segments[0]), []),
                "-avoid_negative_ts",
                "make_zero",
                "-movflags",
                "+faststart",
                str(partial),
            ],
            "join segments",
        )
    partial.rename(out)
    return out


def _codec(path: Path) -> str:
    info = probe(str(path))
    return info.codec if info is not None else ""


def rendition(source: Path, out: Path, timeout_s: float = 600) -> Path:
    """An H.264 copy of a clip a browser cannot play (H.265), encoded once (a few seconds of CPU per
    minute of 720p); the signed original is never touched."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.mp4")
    _run(
        [ffmpeg(), "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-map", "0:v:0", "-an",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
         "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-movflags", "+faststart", str(partial)],
        "make an H.264 rendition",
        timeout_s,
    )  # fmt: skip
    partial.rename(out)
    return out


def encode(frames: Iterable[np.ndarray], fps: float, out: Path) -> Path:
    """BGR frames at a constant rate -> H.264 (yuv420p, +faststart) MP4: the evidence of sources
    with no H.264 stream to copy, and the annotated copy rendered on export. Frames are streamed
    to ffmpeg one by one (a long clip is never held in memory)."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to encode")
    h, w = first.shape[:2]
    w2, h2 = w + (w % 2), h + (h % 2)  # yuv420p needs even sizes
    partial = out.with_suffix(".partial.mp4")
    cmd = [
        ffmpeg(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgr24",
        "-s",
        f"{w}x{h}",
        "-r",
        f"{fps:.6f}",
        "-i",
        "-",
        "-vf",
        f"pad={w2}:{h2}",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-threads",
        "1",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(partial),
    ]
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe nobody reads while frames are written
        process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors, preexec_fn=_nice)
        try:
            for frame in itertools.chain([first], frames):
                if frame.shape[:2] != (h, w):
                    import cv2

                    frame = cv2.resize(frame, (w, h))
                process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            process.stdin.close()
        except BrokenPipeError:
            pass
        code = process.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if code != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {message}")
    partial.rename(out)
    return out
