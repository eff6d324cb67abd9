"""A real RTSP server for the tests (``scripts/rtsp_camera.py`` under Debian's system Python, with
GStreamer's rtsp-server), started and stopped from a test."""

from __future__ import annotations

import subprocess
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "scripts" / "rtsp_camera.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def have_gst_rtsp() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer",
        ],
        capture_output=True,
    )
    return probe.returncode == 0


class RtspServer:
    def __init__(self, port: int, clip: Path, codec: str = "mjpeg", shared: bool = False):
        self.port, self.clip, self.codec, self.shared = port, clip, codec, shared
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                SYSTEM_PYTHON,
                str(SERVER),
                "--port",
                str(self.port),
                "--file",
                str(self.clip),
                "--codec",
                self.codec,
                *(["--shared"] if self.shared else []),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
