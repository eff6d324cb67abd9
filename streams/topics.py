"""The project's topics, created explicitly (the broker does not auto-create)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from configs.model import KafkaTopics

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    partitions: int
    retention_ms: int
    compacted: bool = False


# Violations are keyed by hall, so one hall's events stay in order on one partition.
SPECS = {
    "violations": TopicSpec(partitions=6, retention_ms=30 * DAY_MS),
    "heartbeats": TopicSpec(partitions=3, retention_ms=2 * DAY_MS),
    "dlq": TopicSpec(partitions=1, retention_ms=90 * DAY_MS),
    "cameras": TopicSpec(partitions=12, retention_ms=DAY_MS),  # partitions: KafkaConfig.camera_partitions
    "rule_state": TopicSpec(partitions=6, retention_ms=-1, compacted=True),
    "absences": TopicSpec(partitions=1, retention_ms=-1, compacted=True),
    "service_minutes": TopicSpec(partitions=6, retention_ms=30 * DAY_MS),
    "service_events": TopicSpec(partitions=6, retention_ms=30 * DAY_MS),  # keyed by hall, like violations
}


def _configs(spec: TopicSpec) -> dict[str, str]:
    if spec.compacted:  # the latest value per key, kept forever; a null value deletes the key
        return {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1", "segment.ms": str(3600 * 1000)}
    return {"retention.ms": str(spec.retention_ms)}


def ensure_topics(bootstrap: str, topics: KafkaTopics | None = None, camera_partitions: int | None = None) -> list[str]:
    """Create any missing project topic; returns the names created."""
    topics = topics or KafkaTopics()
    specs = dict(SPECS)
    if camera_partitions:
        specs["cameras"] = TopicSpec(partitions=camera_partitions, retention_ms=DAY_MS)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hallwatch-admin", request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=getattr(topics, key),
                num_partitions=spec.partitions,
                replication_factor=1,
                topic_configs=_configs(spec),
            )
            for key, spec in specs.items()
            if getattr(topics, key) not in existing
        ]
        if wanted:
            try:
                admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another process won the race
            log.info("created topics %s", [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        admin.close()
