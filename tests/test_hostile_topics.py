"""Property-based: whatever arrives on a topic the alerting service consumes — arbitrary bytes, or a
valid message with any one value replaced by something hostile — is either refused with a reason
(the DLQ's) or stored within its bounds, never raises in the handler, never makes the API answer
500, and a valid record right after it is stored. Real SQLite store, the consumer's own decoding."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.api import create_app
from alerts.consumer import Received, decode_record
from alerts.service import AlertService
from configs.loader import parse_config
from streams.wire import encode
from tests.alert_fixtures import (
    absence_message,
    heartbeat,
    minute_message,
    registry,
    service_event_message,
    violation_message,
)

PASSWORD = "a hostile password"


@dataclass
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int = 0
    offset: int = 0


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    cfg = parse_config(registry("127.0.0.1:9", "hostile", alerts={"secure_cookies": False}))
    service = AlertService.open(cfg, f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'a.db'}")
    app = create_app(service)
    app.state.users.add("admin", PASSWORD, "admin", "city")
    client = TestClient(app)
    client.post("/api/login", json={"username": "admin", "password": PASSWORD}).raise_for_status()
    return service, client


def valid(topic: str) -> tuple[bytes, dict]:
    """A fresh valid (key, message) for the topic, in hall h1 (camera c-h1, post p1 of window w1)."""
    if topic == "hallwatch.violations":
        return b"h1", violation_message(str(uuid.uuid4()), hall_id="h1", camera_id="c-h1")
    if topic == "hallwatch.heartbeats":
        return b"c-h1", encode(heartbeat("c-h1", "h1"))
    if topic == "hallwatch.service-minutes":
        return b"h1", minute_message("h1", "c-h1")
    if topic == "hallwatch.service-events":
        return b"h1", service_event_message("h1", "w1")
    absence_id = uuid.uuid4().hex[:12]
    return absence_id.encode(), absence_message("h1", absence_id)


TOPICS = [
    "hallwatch.violations",
    "hallwatch.heartbeats",
    "hallwatch.service-minutes",
    "hallwatch.absences",
    "hallwatch.service-events",
]
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "<script>alert(1)</script>",
        '<img src="/etc/passwd">',
        '=HYPERLINK("http://x.invalid")',
        "@SUM(1)",
        "\u202egnp.exe",
        "\x00\x01\x1f",
        "../../etc/passwd",
        "长" * 10_000,
        "9999-12-31T23:59:59",
        "2026-03-02T09:00:00",
        "0001-01-01T00:00:00+00:00",
    ]
)
HOSTILE = st.one_of(
    HOSTILE_TEXT,
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([None, True, False, [], {}, ["h1"], {"$time": 1}, [1, 2, 3], 1e308, -1e308]),
)


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a message (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


def replaced(message: dict, path: tuple, new: object) -> dict:
    copy = json.loads(json.dumps(message))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def handle_then_valid(service: AlertService, client: TestClient, record: Record) -> None:
    """The record is refused or handled without an exception; then a valid record is used."""
    decoded = decode_record(service.cfg.kafka.topics, record)
    if isinstance(decoded, Received):
        service.handle([decoded])  # rejections are returned (the DLQ's), never raised
    else:
        assert decoded and len(decoded) <= 1000
    key, message = valid(record.topic)
    follow = decode_record(service.cfg.kafka.topics, Record(record.topic, key, json.dumps(message).encode()))
    assert isinstance(follow, Received), follow
    assert service.handle([follow]) == []
    if record.topic == "hallwatch.violations":
        assert service.store.get(message["event_id"]) is not None
    if record.topic == "hallwatch.service-events":
        stored = service.repos.service_events.between(["h1"], datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
        assert message["id"] in {row.id for row in stored}
    assert client.get("/api/alerts", params={"limit": 20}).status_code == 200
    assert client.get("/api/cameras").status_code == 200
    assert client.get("/api/absences").status_code == 200


# `make check` runs fewer examples (the fast loop), `make test` the full number.
EXAMPLES = int(os.environ.get("HALLWATCH_PROPERTY_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("topic", TOPICS)
@SETTINGS
@given(raw=st.binary(max_size=2048))
def test_arbitrary_bytes_on_any_topic(service, topic, raw):
    svc, client = service
    key = valid(topic)[0]
    handle_then_valid(svc, client, Record(topic, key, raw))


@pytest.mark.parametrize("topic", TOPICS)
@SETTINGS
@given(data=st.data(), new=HOSTILE)
def test_one_hostile_value_in_a_valid_message(service, topic, data, new):
    svc, client = service
    key, message = valid(topic)
    path = data.draw(st.sampled_from(paths(message)))
    handle_then_valid(svc, client, Record(topic, key, json.dumps(replaced(message, path, new)).encode()))


@SETTINGS
@given(key=st.one_of(st.none(), st.binary(max_size=100)), value=st.one_of(st.none(), st.binary(max_size=200)))
def test_any_key_and_tombstone_on_the_absences_topic(service, key, value):
    svc, client = service
    handle_then_valid(svc, client, Record("hallwatch.absences", key, value))


# -- what the pipeline workers consume --------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    from configs.loader import load_config
    from ingest.pipeline import Pipeline
    from tests.test_scale_out import site

    tmp = tmp_path_factory.mktemp("worker")
    path, _ = site(tmp, "hostile", 1, datetime.now(UTC).replace(microsecond=0))
    cfg = load_config(path)
    return Pipeline(cfg, use_kafka=False, absences=list), cfg.cameras[0]


EPISODE = st.fixed_dictionaries(
    {"started_at": JSON | st.text(max_size=30), "last_at": JSON, "open": JSON, "details": JSON}
)
TRACKER = st.one_of(
    JSON,
    st.fixed_dictionaries({"kind": st.just("empty_post"), "empty_since": JSON | st.text(max_size=30),
                           "violation": JSON | EPISODE, "last_period": JSON, "seen_first": JSON}),
    st.fixed_dictionaries({"kind": st.just("episode"), "episode": JSON | EPISODE}),
)  # fmt: skip


@SETTINGS
@given(
    value=st.one_of(
        st.none(),
        st.binary(max_size=300),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({"schema": st.just("hallwatch.rule-state.v1"), "version": st.just(1),
                               "camera_id": st.just("cam0-hostile"), "last_time": JSON | st.text(max_size=30),
                               "zones": st.dictionaries(st.text(max_size=40), TRACKER, max_size=3)})
        .map(lambda v: json.dumps(v).encode()),
    )
)  # fmt: skip
def test_any_rule_state_checkpoint_starts_the_camera(worker, value):
    """A checkpoint is whatever the compacted topic holds: any bytes, any JSON, or the right shape
    with hostile values. It is decoded as the topic's reader decodes it; the camera always starts
    (from a valid checkpoint, or afresh when it is not one)."""
    from streams.rule_state import read_checkpoint
    from streams.wire import BadMessage

    pipeline, camera = worker
    try:
        state = read_checkpoint(camera.id, value)
    except BadMessage:
        state = None  # as the reader does: unusable, the camera starts afresh
    restored = pipeline._add_camera(camera, state)
    assert restored is pipeline.workers[camera.id] and not restored.thread.is_alive()


@SETTINGS
@given(value=st.one_of(st.none(), st.binary(max_size=300), JSON.map(lambda v: json.dumps(v).encode())))
def test_any_absence_record_leaves_the_workers_register_consistent(value):
    """The workers' absence register takes each record of the compacted topic: a bad one is
    skipped and counted and changes nothing, a tombstone removes only its own key."""
    from streams.absence_feed import AbsenceTable

    table = AbsenceTable()
    key, message = valid("hallwatch.absences")
    table.apply(key, json.dumps(message).encode())
    kept = table.all()
    table.apply(b"other-id", value)
    assert table.all() == kept  # nothing JSON-shaped at random is a valid absence with that id
    assert table.rejected == (0 if value is None else 1)
    assert all(a.start.utcoffset() is not None for a in table.all())
