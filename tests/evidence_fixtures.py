"""Shared test data for evidence: a synthetic crowded queue whose frames carry their own number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np

from configs.loader import parse_config
from detectors.detections import Detections
from ingest.frames import Frame
from tests.helpers import T0, rect

FPS = 5.0
PRE, POST = 4.0, 6.0
GOP_S = 3  # the source file's keyframe interval: a stream-copied clip starts on one
KEY = "test-signing-key"


def encode_index(image: np.ndarray, index: int) -> None:
    """The frame number as 12 black/white blocks along the top, readable after H.264."""
    for bit in range(12):
        value = 255 if index >> bit & 1 else 0
        image[0:40, bit * 40 : (bit + 1) * 40] = value


def decode_index(image: np.ndarray) -> int:
    return sum(1 << bit for bit in range(12) if image[10:30, bit * 40 + 10 : bit * 40 + 30].mean() > 127)


def config(tmp_path: Path, source: str = "synthetic.avi", **rules):
    return parse_config(
        {
            "regions": [{"id": "c", "name": "资阳市", "level": "city"}],
            "halls": [{"id": "h1", "name": "市民中心", "region": "c", "windows": [{"id": "w1", "name": "1号窗口"}]}],
            "cameras": [
                {
                    "id": "cam",
                    "name": "排队区",
                    "hall": "h1",
                    "source": source,
                    "analysis_fps": FPS,
                    "calibration": {"image": rect(0, 0, 640, 480), "floor": rect(0, 0, 6.4, 4.8)},
                    "zones": [{"id": "queue", "kind": "queue_area", "polygon": rect(0, 200, 640, 480)}],
                }
            ],
            "rules": {
                "queue_crowding": {"min_duration_s": 0, "clear_s": 1, **rules},
                "empty_post": {"enabled": False},
                "staff_chatting": {"enabled": False},
            },
            "evidence": {
                "root": str(tmp_path / "evidence"),
                "pre_s": PRE,
                "post_s": POST,
                "hmac_key": KEY,
                "long_violation_s": 15,
                "min_free_mb": 0,
            },
        }
    )


def frames(seconds: float, crowded: tuple[float, float]):
    """Two people in the queue, 0.5 m apart during ``crowded``, 3 m apart otherwise."""
    for i in range(int(seconds * FPS)):
        t = i / FPS
        image = np.full((480, 640, 3), 60, np.uint8)
        encode_index(image, i + 1)
        gap = 50 if crowded[0] <= t < crowded[1] else 300
        boxes = np.array([[200, 250, 240, 400], [200 + gap, 250, 240 + gap, 400]], float)
        for x1, y1, x2, y2 in boxes.astype(int):
            cv2.rectangle(image, (x1, y1), (x2, y2), (200, 200, 200), -1)
        yield Frame("cam", i + 1, T0 + timedelta(seconds=t), image, Detections(boxes, np.ones(2), np.array([1, 2])))


def write_source(frames_: list[Frame], path: Path, gop_s: float = GOP_S) -> Path:
    """The frames as the camera's own H.264 file (keyframes every ``gop_s``, no B-frames, as
    cameras send): the file a stream-copied clip is cut from."""
    import subprocess

    h, w = frames_[0].image.shape[:2]
    cmd = [
        "ffmpeg",
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
        f"{FPS:g}",
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "18",
        "-g",
        str(int(gop_s * FPS)),
        "-keyint_min",
        str(int(gop_s * FPS)),
        "-sc_threshold",
        "0",
        "-bf",
        "0",
        "-pix_fmt",
        "yuv420p",
        str(path),
    ]
    subprocess.run(cmd, input=b"".join(f.image.tobytes() for f in frames_), check=True)
    return path


def chromium_plays(clip: Path) -> tuple[float, object]:
    """(duration, error) of the clip as Debian's Chromium plays it, served over HTTP."""
    import http.server
    import threading
    from functools import partial

    from playwright.sync_api import sync_playwright

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(clip.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.set_content(
                f'<video id="v" muted preload="auto" src="http://127.0.0.1:{server.server_port}/{clip.name}"></video>'
            )
            page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=20000)
            duration = page.evaluate("document.getElementById('v').duration")
            error = page.evaluate("document.getElementById('v').error")
            browser.close()
    finally:
        server.shutdown()
    return duration, error
