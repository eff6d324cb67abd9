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


# Violations are keyed by hall, so one hall's events stay in order on one partition.
SPECS = {
    "violations": TopicSpec(partitions=6, retention_ms=30 * DAY_MS),
    "heartbeats": TopicSpec(partitions=3, retention_ms=2 * DAY_MS),
    "dlq": TopicSpec(partitions=1, retention_ms=90 * DAY_MS),
}


def ensure_topics(bootstrap: str, topics: KafkaTopics | None = None) -> list[str]:
    """Create any missing project topic; returns the names created."""
    topics = topics or KafkaTopics()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hallwatch-admin", request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=getattr(topics, key),
                num_partitions=spec.partitions,
                replication_factor=1,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for key, spec in SPECS.items()
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
