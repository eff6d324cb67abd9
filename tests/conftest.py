"""Shared fixtures. The Kafka fixture starts a real Apache Kafka broker (KRaft) on free ports."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


BROWSER_MODULES = ("playwright", "chromium")


def pytest_collection_modifyitems(config, items):
    """Mark each test by the real parts it starts, so that `make check` can leave them out:
    ``kafka`` (the broker fixture), ``postgres`` (the database server), ``browser`` (Chromium)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "kafka_broker" in fixtures:
            item.add_marker(pytest.mark.kafka)
        if "postgres_url" in fixtures or "[postgresql]" in item.name:
            item.add_marker(pytest.mark.postgres)
        source = Path(str(item.fspath)).read_text(encoding="utf-8") if item.fspath else ""
        if any(word in source for word in BROWSER_MODULES):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A real single-node Kafka 4 broker for the whole session, removed afterwards."""
    from streams.broker import KafkaBroker
    from streams.topics import ensure_topics

    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    try:
        broker.start()
        ensure_topics(broker.bootstrap)
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def demo_config_dict() -> dict:
    return yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())


@pytest.fixture
def config_dict(demo_config_dict) -> dict:
    """A fresh, mutable copy of the demo config."""
    return copy.deepcopy(demo_config_dict)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server (Debian's `postgresql`) on a free port, removed afterwards."""
    from tests.pgserver import PostgresUnavailable, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as why:
        pytest.skip(str(why))
