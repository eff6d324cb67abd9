"""Helpers shared by the benchmarks (not imported by the product)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HALLWATCH_SHARED_DATA", ROOT.parent / "shared" / "data"))
VTEST = ROOT / "data" / "vtest.avi"


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        sys.exit(f"{path} not found: this benchmark needs ../shared/data (or HALLWATCH_SHARED_DATA)")
    return path


@contextmanager
def local_broker() -> Iterator[tuple[str, str]]:
    """A real Kafka broker in a temporary folder with the project's topics: (bootstrap, folder)."""
    from streams.broker import KafkaBroker
    from streams.topics import ensure_topics

    with tempfile.TemporaryDirectory() as tmp:
        broker = KafkaBroker(Path(tmp) / "broker")
        broker.start()
        try:
            ensure_topics(broker.bootstrap)
            yield broker.bootstrap, tmp
        finally:
            broker.stop()


class VideoFrames:
    """A video's frames by their 1-based index, read forward only: the frames skipped on the way
    are grabbed, not decoded into pictures (the trackers' looks and the detector need only the
    frames analysed; holding a whole sequence's frames would take gigabytes)."""

    def __init__(self, path: Path):
        import cv2

        self._capture = cv2.VideoCapture(str(path))
        self._index = 0
        self._image = None

    def at(self, index: int):
        """The frame ``index`` (None past the end); indices must not go backwards."""
        if index < self._index:
            raise ValueError(f"frame {index} is behind the reader (at {self._index})")
        if index == self._index:
            return self._image
        while self._index < index - 1:
            self._capture.grab()
            self._index += 1
        ok, image = self._capture.read()
        self._index += 1
        self._image = image if ok else None
        return self._image
