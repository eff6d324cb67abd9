"""Kafka consumption for the alerting service: validate, hand on, dead-letter the rest.

At-least-once: offsets are committed only after the handler has stored a batch, so a crash
replays the uncommitted tail (the store is idempotent by ``event_id``). A message that is not
JSON or fails its schema goes to the DLQ topic with the reason, and consumption goes on.
"""
from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from fastjsonschema import JsonSchemaException
from kafka import KafkaConsumer, KafkaProducer

from configs.model import KafkaTopics
from streams import messages
from streams.wire import Violation, violation_from_wire

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    topic: str
    key: str | None
    value: dict
    partition: int
    offset: int
    violation: Violation | None = None  # the typed event, for the violations topic


class AlertConsumer:
    def __init__(self, bootstrap: str, handle: Callable[[list[Received]], None],
                 topics: KafkaTopics | None = None, group_id: str = "hallwatch-alerts",
                 on_dead_letter: Callable[[str], None] | None = None):
        self.topics = topics or KafkaTopics()
        self.handle = handle
        self.on_dead_letter = on_dead_letter or (lambda reason: None)
        self.consumer = KafkaConsumer(
            self.topics.violations, self.topics.heartbeats,
            bootstrap_servers=bootstrap, group_id=group_id, client_id=f"{group_id}-consumer",
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=500, fetch_max_wait_ms=100,
        )
        self.dlq = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id=f"{group_id}-dlq")
        names = {self.topics.violations: messages.VIOLATION_SCHEMA, self.topics.heartbeats: messages.HEARTBEAT_SCHEMA}
        self.fast = {topic: messages.fast_validator(name) for topic, name in names.items()}
        self.explain = {topic: messages.validator(name) for topic, name in names.items()}

    def decode(self, record) -> Received | str:
        """The message, or why it is unusable."""
        try:
            value = json.loads(record.value)
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as error:
            return f"not JSON: {error}"
        if not isinstance(value, dict):
            return "not a JSON object"
        try:
            self.fast[record.topic](value)
        except JsonSchemaException:
            errors = sorted(self.explain[record.topic].iter_errors(value), key=lambda e: list(e.path))
            first = errors[0] if errors else None
            where = "/".join(str(p) for p in first.path) if first and first.path else "(root)"
            return f"schema {value.get('schema', '?')}: {where}: {first.message if first else 'invalid'}"
        violation = None
        if record.topic == self.topics.violations:
            try:
                violation = violation_from_wire(value)
            except (ValueError, TypeError, KeyError) as error:
                return f"schema {value.get('schema', '?')}: unreadable value: {error}"
        key = record.key.decode(errors="replace") if record.key is not None else None
        return Received(record.topic, key, value, record.partition, record.offset, violation)

    def dead_letter(self, record, reason: str) -> None:
        log.warning("dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        self.dlq.send(self.topics.dlq, key=record.key, value=json.dumps({
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "value_base64": base64.b64encode(record.value or b"").decode(),
            "dead_lettered_at": datetime.now(timezone.utc).isoformat(),
        }, ensure_ascii=False).encode())
        self.on_dead_letter(reason)

    def poll_once(self, timeout_ms: int = 500) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        good: list[Received] = []
        for records in batches.values():
            for record in records:
                decoded = self.decode(record)
                if isinstance(decoded, str):
                    self.dead_letter(record, decoded)
                else:
                    good.append(decoded)
        if good:
            self.handle(good)
        if batches:
            self.dlq.flush()
            self.consumer.commit()
        return sum(len(r) for r in batches.values())

    def lag(self, every_s: float = 5.0) -> int:
        """Messages between the committed position and the end of each assigned partition."""
        import time

        now = time.monotonic()
        if now - getattr(self, "_lag_at", 0.0) < every_s:
            return getattr(self, "_lag", 0)
        partitions = list(self.consumer.assignment())
        lag = 0
        if partitions:
            ends = self.consumer.end_offsets(partitions)
            lag = sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in partitions)
        self._lag, self._lag_at = lag, now
        return lag

    def close(self) -> None:
        self.consumer.close()
        self.dlq.close()
