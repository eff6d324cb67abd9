"""Checkpoints of each camera's rule state (``hallwatch.rule-state.v1``) on a compacted topic keyed by camera id: a worker that
takes a camera over reads the latest one and continues the camera's open episodes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from domain.checkpoint import RuleCheckpoint
from streams.wire import BadMessage, decode, encode

log = logging.getLogger(__name__)


MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024


def read_checkpoint(camera_id: str, value: bytes | None) -> RuleCheckpoint | None:
    """The checkpoint in ``value`` (None for a tombstone); BadMessage when it is not a valid one."""
    if value is None:
        return None
    if len(value) > MAX_CHECKPOINT_BYTES:
        raise BadMessage(f"{len(value)} bytes")
    return decode(RuleCheckpoint, value)


class RuleStateStore:
    def __init__(self, bootstrap: str, topic: str, on_unusable: Callable[[], None] = lambda: None):
        """``on_unusable`` is told of each checkpoint that cannot be read (its camera starts afresh)."""
        self.bootstrap, self.topic, self.on_unusable = bootstrap, topic, on_unusable
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, client_id="hallwatch-rule-state"
        )

    def save(self, camera_id: str, state: RuleCheckpoint) -> None:
        """Asynchronous; ``flush`` waits for the broker."""
        try:
            self.producer.send(self.topic, key=camera_id.encode(), value=json.dumps(encode(state)).encode())
        except Exception as error:  # noqa: BLE001 - a lost checkpoint costs continuity, never analysis
            log.warning("checkpoint of camera %s not sent: %s", camera_id, error)

    def flush(self, timeout_s: float = 10) -> None:
        try:
            self.producer.flush(timeout_s)
        except Exception as error:  # noqa: BLE001
            log.warning("checkpoints not flushed: %s", error)

    def load(self, camera_ids: set[str], timeout_s: float = 15) -> dict[str, RuleCheckpoint]:
        """The latest checkpoint of each of ``camera_ids`` (the whole compacted topic is read)."""
        import time

        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            group_id=None,
            client_id="hallwatch-rule-state-reader",
        )
        latest: dict[str, RuleCheckpoint | None] = {}
        try:
            parts = [TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or ()]
            if not parts:
                return {}
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            end = consumer.end_offsets(parts)
            deadline = time.monotonic() + timeout_s
            while any(consumer.position(tp) < end[tp] for tp in parts) and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    for record in records:
                        key = record.key.decode(errors="replace") if record.key else ""
                        if key in camera_ids:
                            latest[key] = self._read(key, record.value)
        finally:
            consumer.close()
        return {k: v for k, v in latest.items() if v is not None}

    def _read(self, camera_id: str, value: bytes | None) -> RuleCheckpoint | None:
        try:
            return read_checkpoint(camera_id, value)
        except BadMessage as error:
            log.warning("checkpoint of camera %s unusable (%s): the camera starts afresh", camera_id[:64], error)
            self.on_unusable()
            return None

    def close(self) -> None:
        self.flush()
        self.producer.close()
