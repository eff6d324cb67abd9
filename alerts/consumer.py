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
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from configs.model import KafkaTopics
from domain.events import Absence, Heartbeat, ServiceMinute, Violation
from domain.service_events import ServiceEvent
from streams.absence_record import from_record
from streams.wire import BadMessage, decode

log = logging.getLogger(__name__)
DLQ_VALUE_BYTES = 256 * 1024  # the copy of a rejected message kept in the DLQ (the producer's limit is 1 MB)


class StoreUnavailable(Exception):
    """The alert store cannot be reached: retry the same messages later, commit nothing."""


@dataclass(frozen=True)
class Received:
    """One decoded record: exactly one of the typed messages, or a cancelled absence's id."""

    topic: str
    key: str | None
    partition: int
    offset: int
    violation: Violation | None = None
    heartbeat: Heartbeat | None = None
    minute: ServiceMinute | None = None
    absence: Absence | None = None
    service_event: ServiceEvent | None = None
    cancelled: str | None = None  # a tombstone on the absences topic: this absence id was cancelled


# The handler stores a batch and returns the messages it would not take, each with the reason.
Handler = Callable[[list[Received]], list[tuple[Received, str]]]


def decode_record(topics: KafkaTopics, record: Any) -> Received | str:
    """A consumed record (``topic``, ``key``, ``value``, ``partition``, ``offset``) as its typed
    message, or why it is unusable (the DLQ's reason). Pure: no broker needed."""
    if record.topic == topics.absences:
        return _absence(record)
    raw = record.value if record.value is not None else b""
    key = record.key.decode(errors="replace") if record.key is not None else None
    where = (record.topic, key, record.partition, record.offset)
    try:
        if record.topic == topics.violations:
            return Received(*where, violation=decode(Violation, raw))
        if record.topic == topics.heartbeats:
            return Received(*where, heartbeat=decode(Heartbeat, raw))
        if record.topic == topics.service_minutes:
            return Received(*where, minute=decode(ServiceMinute, raw))
        if record.topic == topics.service_events:
            return Received(*where, service_event=decode(ServiceEvent, raw))
    except BadMessage as error:
        return str(error)
    return f"not a topic this service consumes: {record.topic!r}"


def _absence(record: Any) -> Received | str:
    key = record.key.decode(errors="replace") if record.key is not None else ""
    if not key or len(key) > 32:
        return "absence: the key must be the absence id (1-32 characters)"
    if record.value is None:  # a tombstone: cancelled
        return Received(record.topic, key, record.partition, record.offset, cancelled=key)
    try:
        absence = from_record(record.value)
    except BadMessage as error:
        return f"absence: {error}"
    if absence.id != key:
        return "absence: the key is not the absence's id"
    return Received(record.topic, key, record.partition, record.offset, absence=absence)


METADATA_MAX_AGE_MS = 10_000  # how soon an assignment made without the topics' metadata heals


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
            self.topics.service_events,
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
            # A group joined before the client had the topics' metadata is assigned nothing until
            # the next refresh (5 minutes by default): seen as a service that consumed nothing.
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        self.dlq = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id=f"{group_id}-dlq")
        self.dead_lettered = 0
        self._lag, self._lag_at = 0, 0.0

    def decode(self, record: Any) -> Received | str:
        return decode_record(self.topics, record)

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
                try:
                    rejected = self.handle(good)
                except StoreUnavailable:
                    raise
                except Exception:
                    log.exception("handling a batch of %d failed; handling its records one by one", len(good))
                    rejected = self._one_by_one(good)
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

    def _one_by_one(self, good: list[Received]) -> list[tuple[Received, str]]:
        """Each record alone: the ones whose handling raises go to the DLQ with the exception as
        the reason (the store is idempotent, so the ones stored before the failure are not doubled)."""
        rejected: list[tuple[Received, str]] = []
        for received in good:
            try:
                rejected += self.handle([received])
            except StoreUnavailable:
                raise
            except Exception as error:  # noqa: BLE001
                first = str(error).splitlines()[0][:300] if str(error) else ""
                rejected.append((received, f"handling failed: {type(error).__name__}: {first}"))
        return rejected

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
