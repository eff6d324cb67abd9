"""Where messages go: a JSON-lines file (``--events-out``), nowhere (``--no-kafka``), or Kafka through
the disk spool (``streams/spool.py``)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Protocol


def encode(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class Publisher(Protocol):
    def publish(self, topic: str, key: str, value: dict) -> None: ...
    def flush(self, timeout_s: float = 30.0) -> None: ...
    def close(self) -> None: ...


class NullPublisher:
    def publish(self, topic: str, key: str, value: dict) -> None:
        pass

    def flush(self, timeout_s: float = 30.0) -> None:
        pass

    def close(self) -> None:
        pass


class JsonLinesWriter:
    """Appends each message as one JSON line; thread-safe."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, value: dict) -> None:
        with self._lock:
            self._file.write(json.dumps(value, ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
