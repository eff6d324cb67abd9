"""The absence register (去向公开) on Kafka: a compacted topic keyed by absence id, the one source
of truth. The CLI and the console publish to it; every pipeline worker follows it (``AbsenceFeed``),
wherever it runs; the alerting service mirrors it into its database for the console. A null value
(tombstone) cancels an absence."""

from __future__ import annotations

import json
import logging
import threading

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from domain.events import Absence
from streams.absence_record import from_record, to_record

log = logging.getLogger(__name__)


def publish_absence(bootstrap: str, topic: str, absence: Absence, producer: KafkaProducer | None = None) -> None:
    own = producer is None
    producer = producer or KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        producer.send(topic, key=absence.id.encode(), value=json.dumps(to_record(absence), ensure_ascii=False).encode())
        producer.flush(30)
    finally:
        if own:
            producer.close()


def cancel_absence(bootstrap: str, topic: str, absence_id: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        producer.send(topic, key=absence_id.encode(), value=None)
        producer.flush(30)
    finally:
        producer.close()


class AbsenceTable:
    """The register as the compacted topic's records make it: the latest usable absence per key,
    a tombstone removes one, an unusable record is skipped (logged, counted) and changes nothing."""

    def __init__(self) -> None:
        self._absences: dict[str, Absence] = {}
        self.rejected = 0  # records skipped as unusable
        self._lock = threading.Lock()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        absence_id = key.decode(errors="replace")
        with self._lock:
            if value is None:
                self._absences.pop(absence_id, None)
                return
            try:
                absence = from_record(value)
                if absence.id != absence_id:
                    raise ValueError("the key is not the absence's id")
            except ValueError as error:  # BadMessage too: skipped, logged and counted, never applied
                self.rejected += 1
                log.warning("absence %s skipped: %s", absence_id[:64], error)
                return
            self._absences[absence_id] = absence

    def all(self) -> list[Absence]:
        with self._lock:
            return list(self._absences.values())


class AbsenceFeed:
    """Follows the topic from its beginning in a background thread; ``all()`` is the current register."""

    def __init__(self, bootstrap: str, topic: str):
        self.topic = topic
        self.table = AbsenceTable()
        self._stop = threading.Event()
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            client_id="hallwatch-absences",
            fetch_max_wait_ms=200,
        )
        self._thread = threading.Thread(target=self._run, name="absence-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assigned = False
        while not self._stop.is_set():
            try:
                if not assigned:
                    partitions = self.consumer.partitions_for_topic(self.topic)
                    if not partitions:
                        self._stop.wait(1)
                        continue
                    parts = [TopicPartition(self.topic, p) for p in partitions]
                    self.consumer.assign(parts)
                    self.consumer.seek_to_beginning(*parts)
                    assigned = True
                for records in self.consumer.poll(timeout_ms=500).values():
                    for record in records:
                        self.table.apply(record.key, record.value)
            except Exception as error:  # noqa: BLE001 - the broker may be away: keep following
                log.warning("absence feed: %s; retrying", error)
                self._stop.wait(2)

    @property
    def rejected(self) -> int:
        return self.table.rejected

    def all(self) -> list[Absence]:
        return self.table.all()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.consumer.close()
