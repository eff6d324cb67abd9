"""Kafka consumption for the alerting service: validate, hand on, dead-letter the rest.

At-least-once: offsets are committed only after the handler has stored a batch, so a crash
replays the uncommitted tail (the store is idempotent by ``event_id``). No message can stop
consumption: one that is not JSON, fails its schema, carries a value the store cannot take, or
that the handler rejects (unknown hall, a conflicting event id) goes to the DLQ topic with the
reason, and consumption goes on. The one case that retries is a store that is down
(``StoreUnavailable``): the batch is read again after a back-off, nothing is committed, and the
lag grows where Prometheus sees it.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from configs.model import KafkaTopics
from streams import messages
from streams.absence_book import Absence, check, from_record
from streams.service_minute_wire import ServiceMinute, minute_from_wire
from streams.wire import Violation, real_time, violation_from_wire

log = logging.getLogger(__name__)
DLQ_VALUE_BYTES = 256 * 1024  # the copy of a rejected message kept in the DLQ (the producer's limit is 1 MB)


class StoreUnavailable(Exception):
    """The alert store cannot be reached: retry the same messages later, commit nothing."""


@dataclass(frozen=True)
class Received:
    topic: str
    key: str | None
    value: dict
    partition: int
    offset: int
    violation: Violation | None = None  # the typed event, for the violations topic
    absence: Absence | None = None  # for the absences topic (None with a tombstone: cancelled)
    minute: ServiceMinute | None = None  # for the service-minutes topic


# The handler stores a batch and returns the messages it would not take, each with the reason.
Handler = Callable[[list[Received]], list[tuple[Received, str]]]


class AlertConsumer:
    def __init__(
        self,
        bootstrap: str,
        handle: Handler,
        topics: KafkaTopics | None = None,
        group_id: str = "hallwatch-alerts",
        on_dead_letter: Callable[[str], None] | None = None,
        instance_id: str | None = None,
        session_timeout_ms: int = 10000,
    ):
        self.topics = topics or KafkaTopics()
        self.handle = handle
        self.on_dead_letter = on_dead_letter or (lambda reason: None)
        self.consumer = KafkaConsumer(
            self.topics.violations,
            self.topics.heartbeats,
            self.topics.absences,
            self.topics.service_minutes,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            client_id=f"{group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=2000,
            fetch_max_wait_ms=100,
            group_instance_id=instance_id,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(500, session_timeout_ms // 4),
        )
        self.dlq = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id=f"{group_id}-dlq")
        names = {
            self.topics.violations: messages.VIOLATION_SCHEMA,
            self.topics.heartbeats: messages.HEARTBEAT_SCHEMA,
            self.topics.service_minutes: messages.SERVICE_MINUTE_SCHEMA,
        }
        self.fast = {topic: messages.fast_validator(name) for topic, name in names.items()}
        self.explain = {topic: messages.validator(name) for topic, name in names.items()}
        self.dead_lettered = 0
        self._lag, self._lag_at = 0, 0.0

    def decode(self, record) -> Received | str:
        """The message, or why it is unusable."""
        if record.topic == self.topics.absences:
            return self._absence(record)
        try:
            value = messages.loads(record.value)
        except (UnicodeDecodeError, ValueError, TypeError) as error:
            return f"not JSON: {error}"
        if not isinstance(value, dict):
            return "not a JSON object"
        if not self.fast[record.topic].is_valid(value):
            return self._schema_reason(record.topic, value)
        violation = minute = None
        try:
            if record.topic == self.topics.violations:
                violation = violation_from_wire(value)
            elif record.topic == self.topics.service_minutes:
                minute = minute_from_wire(value)
        except (ValueError, TypeError, KeyError) as error:
            return f"schema {value.get('schema', '?')}: unusable value: {error}"[:1000]
        key = record.key.decode(errors="replace") if record.key is not None else None
        return Received(record.topic, key, value, record.partition, record.offset, violation, minute=minute)

    def _schema_reason(self, topic: str, value: dict) -> str:
        """Why a message fails its schema, first by path: jsonschema's words, or the Rust
        validator's for what jsonschema does not check here (formats such as date-time)."""
        errors = sorted(self.explain[topic].iter_errors(value), key=lambda e: list(e.path))
        if errors:
            path, message = list(errors[0].path), errors[0].message
        else:
            fast = sorted(self.fast[topic].iter_errors(value), key=lambda e: list(e.instance_path))
            path, message = (list(fast[0].instance_path), fast[0].message) if fast else ([], "invalid")
        where = "/".join(str(p) for p in path) if path else "(root)"
        return f"schema {value.get('schema', '?')}: {where}: {message}"[:1000]

    def _absence(self, record) -> Received | str:
        key = record.key.decode(errors="replace") if record.key is not None else ""
        if not key or len(key) > 32:
            return "absence: the key must be the absence id (1-32 characters)"
        if record.value is None:  # a tombstone: cancelled
            return Received(record.topic, key, {"cancel": key}, record.partition, record.offset)
        try:
            value = messages.loads(record.value)
            absence = check(from_record(value))
            if absence.id != key:
                return "absence: the key is not the absence's id"
            for name in ("hall_id", "window_id", "zone_id", "person", "registered_by"):
                if len(getattr(absence, name) or "") > 64:
                    return f"absence: {name} longer than 64 characters"
            if len(absence.reason) > 500:
                return "absence: reason longer than 500 characters"
            real_time(absence.start.isoformat(), "start")
            real_time(absence.end.isoformat(), "end")
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as error:
            return f"absence: unusable value: {error}"[:1000]
        return Received(record.topic, key, value, record.partition, record.offset, absence=absence)

    def dead_letter(self, record, reason: str) -> None:
        log.warning("dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        raw = record.value or b""
        self.dlq.send(
            self.topics.dlq,
            key=(record.key or b"")[:1024] or None,
            value=json.dumps(
                {
                    "reason": reason,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "size": len(raw),
                    "truncated": len(raw) > DLQ_VALUE_BYTES,
                    "value_base64": base64.b64encode(raw[:DLQ_VALUE_BYTES]).decode(),
                    "dead_lettered_at": datetime.now(UTC).isoformat(),
                },
                ensure_ascii=False,
            ).encode(),
        )
        self.dead_lettered += 1
        self.on_dead_letter(reason)

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Read, validate, store and commit one batch. Raises StoreUnavailable (after rewinding to
        the batch's first offsets) when the store is down."""
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        good: list[Received] = []
        records = {}
        for batch in batches.values():
            for record in batch:
                decoded = self.decode(record)
                if isinstance(decoded, str):
                    self.dead_letter(record, decoded)
                else:
                    good.append(decoded)
                    records[(decoded.topic, decoded.partition, decoded.offset)] = record
        if good:
            try:
                rejected = self.handle(good)
            except StoreUnavailable:
                for tp, batch in batches.items():
                    self.consumer.seek(tp, batch[0].offset)
                raise
            for received, reason in rejected:
                self.dead_letter(records[(received.topic, received.partition, received.offset)], reason)
        if batches:
            self.dlq.flush()
            self.consumer.commit()
        return sum(len(r) for r in batches.values())

    def lag(self, every_s: float = 5.0) -> int:
        """Messages between this consumer's position and the end of each assigned partition, from
        what the last fetches reported (no broker round trip per partition on the hot path). It
        grows while the store is down: the position is rewound to the unstored batch."""
        now = time.monotonic()
        if now - self._lag_at < every_s:
            return self._lag
        partitions: list[TopicPartition] = list(self.consumer.assignment())
        unknown = [tp for tp in partitions if self.consumer.highwater(tp) is None]
        ends = self.consumer.end_offsets(unknown) if unknown else {}
        lag = 0
        for tp in partitions:
            end = self.consumer.highwater(tp)
            end = ends.get(tp, 0) if end is None else end
            position = self.consumer.position(tp) if end else 0
            lag += max(0, end - (position or 0))
        self._lag, self._lag_at = lag, now
        return lag

    def close(self) -> None:
        self.consumer.close()
        self.dlq.close()
