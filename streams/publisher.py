"""Where messages go: Kafka (production), a JSON-lines file (``--events-out``), or nowhere."""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


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


class KafkaPublisher:
    """Idempotent producer with acks=all; keys keep one hall's (or camera's) messages in order."""

    def __init__(self, bootstrap_servers: str, client_id: str = "hallwatch-pipeline"):
        from kafka import KafkaProducer

        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
            retries=2**31 - 1,
            key_serializer=str.encode,
            value_serializer=encode,
        )

    def publish(self, topic: str, key: str, value: dict) -> None:
        future = self.producer.send(topic, key=key, value=value)
        future.add_errback(lambda error: log.error("publishing to %s failed: %s", topic, error))

    def flush(self, timeout_s: float = 30.0) -> None:
        self.producer.flush(timeout=timeout_s)

    def close(self) -> None:
        self.producer.close(timeout=30)
