"""A bounded, durable, ordered local disk queue in front of the Kafka producer.

Every message is first appended to the spool (a folder of JSON-lines segment files); a sender
thread delivers from the spool head to Kafka with the idempotent, ``acks=all`` producer and only
then moves the head. So a broker outage only grows the spool, a pipeline restart resumes from the
persisted head, and order is kept per spool (the publisher's order).

When the spool is full (``max_bytes``): heartbeats, which the next one supersedes, are dropped;
violation messages are still accepted up to twice the limit, then dropped too. Every drop is
logged at ERROR and counted (``dropped``), and the spool depth is exported as a metric.
At-least-once: after a crash between delivery and the head update a few messages are sent again;
consumers are idempotent by ``event_id``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path

from streams.publisher import encode

log = logging.getLogger(__name__)

SEGMENT_BYTES = 4 * 1024 * 1024


class DiskSpool:
    """Append-only segments ``<n>.jsonl`` and a ``head`` file: (segment, byte offset) delivered."""

    def __init__(self, folder: str | Path, max_bytes: int = 256 * 1024 * 1024):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.dropped: Counter[str] = Counter()
        self._lock = threading.Condition()
        segments = self._segments()
        self._write_segment = segments[-1] if segments else 0
        self._writer = (self.folder / f"{self._write_segment:09d}.jsonl").open("ab")
        self._head = self._read_head()

    # -- bookkeeping -----------------------------------------------------------------------------
    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.folder.glob("*.jsonl"))

    def _read_head(self) -> tuple[int, int]:
        try:
            segment, offset = (self.folder / "head").read_text().split()
            return int(segment), int(offset)
        except (OSError, ValueError):
            segments = self._segments()
            return (segments[0] if segments else 0), 0

    def _write_head(self, head: tuple[int, int]) -> None:
        tmp = self.folder / "head.tmp"
        tmp.write_text(f"{head[0]} {head[1]}\n")
        os.replace(tmp, self.folder / "head")
        self._head = head
        for segment in self._segments():  # delivered segments are deleted
            if segment < head[0]:
                (self.folder / f"{segment:09d}.jsonl").unlink(missing_ok=True)

    def depth_bytes(self) -> int:
        total = 0
        for segment in self._segments():
            size = (self.folder / f"{segment:09d}.jsonl").stat().st_size
            if segment == self._head[0]:
                size -= self._head[1]
            if segment >= self._head[0]:
                total += size
        return max(0, total)

    # -- producer side ----------------------------------------------------------------------------
    def append(self, topic: str, key: str, value: dict, priority: bool) -> bool:
        line = json.dumps({"t": topic, "k": key, "v": value}, ensure_ascii=False).encode() + b"\n"
        with self._lock:
            depth = self.depth_bytes()
            limit = self.max_bytes * (2 if priority else 1)
            if depth + len(line) > limit:
                self.dropped[topic] += 1
                log.error("spool full (%d bytes): dropping a %s message", depth, topic)
                return False
            if self._writer.tell() > SEGMENT_BYTES:
                self._writer.close()
                self._write_segment += 1
                self._writer = (self.folder / f"{self._write_segment:09d}.jsonl").open("ab")
            self._writer.write(line)
            self._writer.flush()
            self._lock.notify_all()
            return True

    def sync(self) -> None:
        with self._lock:
            os.fsync(self._writer.fileno())

    # -- sender side --------------------------------------------------------------------------------
    def peek(self, max_messages: int = 500) -> tuple[list[tuple[str, str, dict]], tuple[int, int]]:
        """Up to ``max_messages`` from the head, and the head position after them."""
        with self._lock:
            segment, offset = self._head
            out: list[tuple[str, str, dict]] = []
            while len(out) < max_messages:
                path = self.folder / f"{segment:09d}.jsonl"
                if not path.exists():
                    break
                with path.open("rb") as f:
                    f.seek(offset)
                    for raw in f:
                        if not raw.endswith(b"\n"):
                            break  # a line still being written
                        offset += len(raw)
                        record = json.loads(raw)
                        out.append((record["t"], record["k"], record["v"]))
                        if len(out) >= max_messages:
                            break
                if len(out) >= max_messages or segment >= self._write_segment:
                    break
                segment, offset = segment + 1, 0
            return out, (segment, offset)

    def commit(self, head: tuple[int, int]) -> None:
        with self._lock:
            self._write_head(head)

    def wait(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._writer.close()


class SpoolingKafkaPublisher:
    """The pipeline's publisher: spool first, deliver in the background, survive outages."""

    def __init__(
        self,
        bootstrap_servers: str,
        spool_dir: str | Path,
        max_bytes: int = 256 * 1024 * 1024,
        priority_topics: tuple[str, ...] = ("hallwatch.violations",),
        topics=None,
        client_id: str = "hallwatch-pipeline",
    ):
        self.bootstrap = bootstrap_servers
        self.spool = DiskSpool(spool_dir, max_bytes)
        self.priority_topics = priority_topics
        self.topics = topics
        self.client_id = client_id
        self.delivered = 0
        self.connected = False
        self._stop = threading.Event()
        self._producer = None
        self._thread = threading.Thread(target=self._run, name="kafka-sender", daemon=True)
        self._thread.start()

    def publish(self, topic: str, key: str, value: dict) -> None:
        self.spool.append(topic, key, value, priority=topic in self.priority_topics)

    def _connect(self):
        from kafka import KafkaProducer

        from streams.topics import ensure_topics

        ensure_topics(self.bootstrap, self.topics)
        return KafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_block_ms=10000,
            request_timeout_ms=10000,
            delivery_timeout_ms=30000,
            key_serializer=str.encode,
            value_serializer=encode,
        )

    def _run(self) -> None:
        backoff = 0.5
        while True:
            batch, head = self.spool.peek()
            if not batch:
                if self._stop.is_set():
                    return
                self.spool.wait(0.2)
                continue
            try:
                if self._producer is None:
                    self._producer = self._connect()
                    if not self.connected:
                        log.info("Kafka at %s reachable: delivering the spool", self.bootstrap)
                    self.connected = True
                futures = [self._producer.send(t, key=k, value=v) for t, k, v in batch]
                self._producer.flush(timeout=30)
                for future in futures:
                    future.get(timeout=0)  # raises if a send failed
            except Exception as error:  # noqa: BLE001 - any failure: keep the spool, retry later
                if self.connected:
                    log.warning("Kafka delivery failed (%s); spooling to %s", error, self.spool.folder)
                self.connected = False
                self._close_producer()
                if self._stop.wait(backoff) and self._stop_deadline_passed():
                    return
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            self.spool.commit(head)
            self.delivered += len(batch)

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                pass
            self._producer = None

    _deadline: float = float("inf")

    def _stop_deadline_passed(self) -> bool:
        return time.monotonic() > self._deadline

    def depth_bytes(self) -> int:
        return self.spool.depth_bytes()

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until the spool is delivered (or the timeout passes; what is left stays spooled)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.spool.peek(1)[0]:
            time.sleep(0.05)

    def close(self, timeout_s: float = 10.0) -> None:
        self._deadline = time.monotonic() + timeout_s
        self._stop.set()
        self._thread.join(timeout_s + 5)
        self._close_producer()
        self.spool.sync()
        self.spool.close()
