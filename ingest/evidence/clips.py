"""H.264 MP4 clips (moov atom first: they play in a browser while downloading) with ffmpeg."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise RuntimeError("ffmpeg is needed to write evidence clips (apt-get install ffmpeg)")
    return path


def encode_mp4(frames: list[np.ndarray], fps: float, path: Path) -> Path:
    """BGR frames at a constant rate -> H.264 (yuv420p, +faststart) MP4."""
    if not frames:
        raise ValueError("no frames to encode")
    h, w = frames[0].shape[:2]
    w2, h2 = w + (w % 2), h + (h % 2)  # yuv420p needs even sizes
    tmp = path.with_suffix(".partial.mp4")
    cmd = [ffmpeg(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
           "-r", f"{fps:.6f}", "-i", "-", "-vf", f"pad={w2}:{h2}", "-c:v", "libx264", "-preset", "veryfast", "-threads", "1",
           "-crf", "23", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(tmp)]
    # Evidence is background work: the encoder yields the CPU to the cameras' analysis.
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=lambda: os.nice(10))
    try:
        for frame in frames:
            if frame.shape[:2] != (h, w):
                import cv2

                frame = cv2.resize(frame, (w, h))
            process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        process.stdin.close()
    except BrokenPipeError:
        pass
    error = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {error.strip()}")
    tmp.rename(path)
    return path
