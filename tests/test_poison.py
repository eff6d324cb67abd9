"""No message may stop ingestion: a corpus of poison messages followed by valid ones, through the
real broker into the real service, on SQLite and on PostgreSQL. Every valid message is stored once
within seconds; every poison lands in the DLQ with its reason; a store that is down is retried
(lag rises, /healthz says 503, the store gauge drops) and nothing is lost when it returns."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer

from alerts.service import AlertService
from configs.loader import parse_config
from streams.wire import encode
from tests.alert_fixtures import (
    T0,
    absence_message,
    add_hall,
    heartbeat,
    minute_message,
    registry,
    service_event_message,
    violation_message,
)
from tests.helpers import wait_for

pytestmark = pytest.mark.kafka


def poison_corpus(hall: str, camera: str, valid_id: str) -> list[tuple[bytes, str]]:
    """(raw message, a word its DLQ reason must contain)."""

    def msg(**change) -> bytes:
        message = violation_message(str(uuid.uuid4()), hall_id=hall, camera_id=camera)
        return json.dumps({**message, **change}).encode()

    nan = msg(duration_s=1.5).replace(b'"duration_s": 1.5', b'"duration_s": NaN')
    assert b"NaN" in nan
    return [
        (nan, "finite"),
        (msg(started_at="2026-03-02T09:00:60+08:00"), "started_at"),
        (msg(started_at="0000-03-02T09:00:00+08:00"), "started_at"),
        (msg(started_at="2026-03-02T09:00:00"), "started_at"),
        (json.dumps(violation_message("../../etc", hall_id=hall, camera_id=camera)).encode(), "event_id"),
        (b"\xff" * 800_000, "not JSON"),
        (msg(hall_id="h" * 300), "hall_id"),
        (msg(zone_id="z" * 65), "zone_id"),
        (msg(hall_id="no-such-hall"), "unknown hall"),
        (msg(camera_id="c-h1"), "is not a camera of hall"),
        (msg(status="closed", ended_at="9999-12-31T23:59:59-01:00", closed_reason="returned"), "ended_at"),
        (msg(evidence={"snapshot": f"2026-03-02/{hall}/../../secret.jpg"}), "evidence"),
        (msg(people=10**12), "people"),
        (msg(event_id=valid_id, type="staff_chatting", reason="gathering"), "conflict"),
        (msg(zone_id="elsewhere"), "is not a zone of camera"),
        (msg(window_id="w2"), "is not the window of zone"),
        (b"[1, 2, 3]", "not a JSON object"),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alerts.db'}"
    return request.getfixturevalue("postgres_url")


def read_dlq(bootstrap: str, key: bytes, expected: int, timeout_s: float = 30) -> list[dict]:
    consumer = KafkaConsumer(
        "hallwatch.dlq",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"check-{uuid.uuid4().hex}",
        consumer_timeout_ms=2000,
    )
    found: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while len(found) < expected and time.monotonic() < deadline:
        found += [json.loads(r.value) for r in consumer if r.key == key]
    consumer.close()
    return found


def test_poison_messages_go_to_the_dlq_and_valid_ones_are_stored_once(kafka_broker, database_url):
    marker = uuid.uuid4().hex[:10]
    data = registry(kafka_broker.bootstrap, f"poison-{marker}")
    hall = f"h-{marker}"
    camera = add_hall(data, hall)
    service = AlertService.open(parse_config(data), database_url)
    ids = [str(uuid.uuid4()) for _ in range(10)]
    valid = [
        violation_message(event_id, status, hall_id=hall, camera_id=camera)
        for event_id in ids
        for status in ("open", "closed")
    ]
    # A valid message that claims another county: stored, but under its hall's configured region.
    spoofed = violation_message(
        str(uuid.uuid4()),
        hall_id=hall,
        camera_id=camera,
        region_id="town2",
        region_path=["city", "county2", "town2"],
        level="city",
    )
    poison = poison_corpus(hall, camera, valid[0]["event_id"])
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, max_request_size=2_000_000)
    key = marker.encode()
    producer.send("hallwatch.violations", key=key, value=json.dumps(valid[0]).encode())
    for raw, _ in poison:
        producer.send("hallwatch.violations", key=key, value=raw)
    for message in [*valid[1:], spoofed]:
        producer.send("hallwatch.violations", key=key, value=json.dumps(message).encode())
    producer.flush()
    started = time.monotonic()
    service.start()
    try:
        wait_for(lambda: len(service.store.list(hall=hall, limit=100)) == len(ids) + 1, 60, "every valid event")
        stored_after_s = time.monotonic() - started
    finally:
        service.stop()
    alerts = {a.event_id: a for a in service.store.list(hall=hall, limit=100)}
    assert set(alerts) == {m["event_id"] for m in [*valid, spoofed]}
    assert alerts[spoofed["event_id"]].region_path == "/city/county/town/"  # from the config
    assert alerts[spoofed["event_id"]].level == "township"
    assert alerts[valid[0]["event_id"]].zone_id == "p1"  # the conflicting copy changed nothing
    for event_id in ids:  # stored once: one opening and one closing each, whatever the poison around them
        actions = [e.action for e in service.store.audit(event_id)]
        assert sorted(actions) == ["violation_closed", "violation_open"], actions
        assert alerts[event_id].event_status == "closed"
    dead = read_dlq(kafka_broker.bootstrap, key, len(poison))
    assert len(dead) == len(poison), [d["reason"] for d in dead]
    by_offset = sorted(dead, key=lambda d: d["offset"])
    for (raw, word), letter in zip(poison, by_offset):
        assert word in letter["reason"], (word, letter["reason"])
        assert letter["size"] == len(raw) and letter["topic"] == "hallwatch.violations"
    big = next(d for d in dead if d["size"] == 800_000)
    assert big["truncated"] and len(big["value_base64"]) < 400_000
    print(
        f"\n{len(poison)} poison messages then {len(valid) + 1} valid ones: all valid stored {stored_after_s:.1f} s "
        f"after the service started"
    )
    assert stored_after_s < 30, stored_after_s


def test_a_store_that_is_down_is_retried_and_reported(kafka_broker):
    import uvicorn

    from alerts.api import create_app
    from streams.broker import free_port
    from tests.pgserver import PostgresUnavailable, running_postgres

    try:
        pg_context = running_postgres()
        server = pg_context.__enter__()
    except PostgresUnavailable as why:
        pytest.skip(str(why))
    marker = uuid.uuid4().hex[:10]
    data = registry(kafka_broker.bootstrap, f"down-{marker}", alerts={"secure_cookies": False})
    hall = f"h-{marker}"
    camera = add_hall(data, hall)
    cfg = parse_config(data)
    service = AlertService.open(cfg, server.url)
    app = create_app(service)
    port = free_port()
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    import threading

    threading.Thread(target=web.run, daemon=True).start()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    key = marker.encode()

    def send(n: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        for event_id in ids:
            producer.send(
                "hallwatch.violations",
                key=key,
                value=json.dumps(violation_message(event_id, hall_id=hall, camera_id=camera)).encode(),
            )
        producer.flush()
        return ids

    service.start()
    try:
        first = send(5)
        wait_for(lambda: len(service.store.list(hall=hall, limit=100)) == 5, 60, "the first messages")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        server.stop()  # the database goes away
        second = send(20)
        wait_for(lambda: service.store_error is not None, 30, "the outage to be noticed")
        wait_for(lambda: service.metrics.consumer_lag._value.get() >= 20, 30, "the lag to rise")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 503 and health.json()["store_ok"] is False
        assert service.metrics.store_up._value.get() == 0
        server.start()  # back
        wait_for(lambda: len(service.store.list(hall=hall, limit=100)) == 25, 90, "everything after the outage")
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200, 30, "health again")
        assert {a.event_id for a in service.store.list(hall=hall, limit=100)} == set(first + second)
        assert read_dlq(kafka_broker.bootstrap, key, 0, timeout_s=3) == []  # an outage is no poison
    finally:
        service.stop()
        web.should_exit = True
        pg_context.__exit__(None, None, None)


def test_every_topic_dead_letters_its_poison_and_the_next_record_is_used(kafka_broker):
    """Found by hand before (issue 24): an absence with a list for its hall stopped all storage
    (TypeError in the handler, the batch re-read for ever, /healthz 200); an empty reason made the
    absences API answer 500; naive absence times broke every frame in the workers; a wait of 30
    days became the hall's p90; zones a camera does not have added metric series. Each now goes
    to the DLQ with its reason, and a valid record after it is used."""
    marker = uuid.uuid4().hex[:10]
    data = registry(kafka_broker.bootstrap, f"topics-{marker}")
    hall = f"h-{marker}"
    camera = add_hall(data, hall)
    service = AlertService.open(parse_config(data), f"sqlite:///{tmp_dir()}/alerts.db")
    queued = (T0 - timedelta(days=30)).isoformat()
    served = T0.replace(second=0).isoformat()
    wait = {"window_id": "w1", "zone_id": "p1", "track_id": 3, "queued_at": queued, "served_at": served, "wait_s": 1}
    absence_key = f"a{marker}"[:32]
    poison = [  # (topic, key, value, a word of the DLQ reason)
        ("hallwatch.absences", absence_key, absence_message(["h1"], absence_key), "hall_id"),  # type: ignore[arg-type]
        ("hallwatch.absences", absence_key, absence_message(hall, absence_key, reason=""), "reason"),
        ("hallwatch.absences", absence_key, absence_message(hall, absence_key, zone_id=""), "zone_id"),
        ("hallwatch.absences", absence_key, absence_message(hall, absence_key, start="2026-03-02T09:00:00"), "start"),
        ("hallwatch.absences", absence_key, absence_message(hall, absence_key, window_id="w9"), "unknown window"),
        ("hallwatch.absences", "other-id", absence_message(hall, absence_key), "key"),
        ("hallwatch.service-minutes", hall, minute_message(hall, camera, waits=[wait]), "wait"),
        ("hallwatch.service-minutes", hall, minute_message(hall, camera, observed_s=61), "observed_s"),
        (
            "hallwatch.service-minutes",
            hall,
            minute_message(
                hall, camera, posts=[{"window_id": "w2", "staffed_s": 1, "first_in": None, "last_in": None}]
            ),
            "no post on camera",
        ),
        ("hallwatch.heartbeats", camera, {**encode(heartbeat(camera, hall)), "status": "on fire"}, "status"),
        (
            "hallwatch.violations",
            hall,
            violation_message(str(uuid.uuid4()), hall_id=hall, camera_id=camera, zone_id="z-elsewhere"),
            "is not a zone of camera",
        ),  # fmt: skip
        ("hallwatch.service-events", hall, service_event_message(hall, "w9"), "window"),  # issue 28
        ("hallwatch.service-events", hall, service_event_message(hall, "w1", at="2026-03-02T09:00:00"), "at"),
        ("hallwatch.service-events", hall, service_event_message("nowhere", "w1"), "hall"),
    ]
    called = service_event_message(hall, "w1")
    valid = [
        ("hallwatch.service-events", hall, called),
        ("hallwatch.absences", absence_key, absence_message(hall, absence_key)),
        ("hallwatch.service-minutes", hall, minute_message(hall, camera)),
        ("hallwatch.violations", hall, violation_message(str(uuid.uuid4()), hall_id=hall, camera_id=camera)),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    for topic, key, value, _ in poison:
        producer.send(topic, key=key.encode(), value=json.dumps(value).encode())
    for topic, key, value in valid:
        producer.send(topic, key=key.encode(), value=json.dumps(value).encode())
    producer.flush()
    service.start()
    try:
        wait_for(lambda: service.store.list(hall=hall), 60, "the valid violation")
        wait_for(lambda: service.repos.absences.list([hall]), 60, "the valid absence")
        wait_for(lambda: service.repos.measurements.post_minutes([hall], T0 - timedelta(hours=1), T0 + timedelta(hours=1)),
                 60, "the valid minute")  # fmt: skip
        wait_for(lambda: service.repos.service_events.between([hall], T0 - timedelta(days=400), T0 + timedelta(days=400)),
                 60, "the valid service event")  # fmt: skip
        assert service.health()["ok"]
    finally:
        service.stop()
    assert [a.reason for a in service.repos.absences.list([hall])] == ["到县局开会"]
    everything = service.repos.service_events.between(
        [hall, "nowhere"], T0 - timedelta(days=400), T0 + timedelta(days=400)
    )
    assert [e.id for e in everything] == [called["id"]]
    assert service.repos.measurements.waits([hall], T0 - timedelta(days=40), T0 + timedelta(days=1)) == []
    reasons = []
    for key in {key for _, key, _, _ in poison}:
        reasons += [d["reason"] for d in read_dlq(kafka_broker.bootstrap, key.encode(), 1, timeout_s=10)]
    for topic, _, _, word in poison:
        assert any(word in reason for reason in reasons), (topic, word, reasons)
    assert len(reasons) == len(poison), reasons


def tmp_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="hallwatch-topics-")


def test_the_workers_skip_unusable_absences_and_apply_the_next(kafka_broker):
    """A naive-time absence on the compacted topic made every frame of its window's camera fail in
    the workers ("can't compare offset-naive and offset-aware datetimes"; issue 24): the workers'
    feed now checks each record like the service does, skips, logs and counts a bad one."""
    from kafka.admin import KafkaAdminClient, NewTopic

    from streams.absence_feed import AbsenceFeed

    topic = f"absences-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    naive, listed, good = (f"{name}{uuid.uuid4().hex[:8]}" for name in ("naive", "listed", "good"))
    for key, value in (
        (naive, absence_message("h1", naive, start="2026-03-02T09:00:00", end="2026-03-02T10:00:00")),
        (listed, absence_message(["h1"], listed)),  # type: ignore[arg-type]
        (good, absence_message("h1", good)),
    ):
        producer.send(topic, key=key.encode(), value=json.dumps(value).encode())
    producer.send(topic, key=b"not-json", value=b"\x00\x01")
    producer.flush()
    feed = AbsenceFeed(kafka_broker.bootstrap, topic)
    try:
        wait_for(lambda: [a.id for a in feed.all()] == [good], 30, "the valid absence")
        wait_for(lambda: feed.rejected == 3, 10, "three records skipped")
        assert feed.all()[0].start.utcoffset() is not None
    finally:
        feed.close()


def test_a_worker_starts_every_camera_whatever_their_checkpoints(kafka_broker, tmp_path):
    """A checkpoint missing one key raised KeyError when a worker took the camera, and one that was
    not JSON stopped the whole assignment: that camera and every later one never started, and the
    worker kept their partitions (issue 24). Now each camera is restored on its own and starts
    afresh when its checkpoint is unusable."""
    from configs.loader import load_config
    from domain.checkpoint import RuleCheckpoint
    from ingest.pipeline import Pipeline
    from streams.rule_state import RuleStateStore
    from tests.test_scale_out import site

    marker = uuid.uuid4().hex[:8]
    start = datetime.now(UTC).replace(microsecond=0)  # replays in a group play live, from now
    path, ids = site(tmp_path, marker, 3, start, kafka={"bootstrap_servers": kafka_broker.bootstrap})
    cfg = load_config(path)
    pipeline = Pipeline(cfg, use_kafka=False, group=f"g-{marker}", worker_id="w-test")
    store = RuleStateStore(kafka_broker.bootstrap, cfg.kafka.topics.rule_state)
    # Not JSON; the right shape with a value the rules cannot take (a time without an offset).
    wrong = {"schema": "hallwatch.rule-state.v1", "version": 1, "camera_id": ids[1],
             "zones": {"p1|empty_post": {"kind": "empty_post", "empty_since": "2026-03-02T09:00:00"}}}  # fmt: skip
    store.producer.send(cfg.kafka.topics.rule_state, key=ids[0].encode(), value=b"{not json")
    store.producer.send(cfg.kafka.topics.rule_state, key=ids[1].encode(), value=json.dumps(wrong).encode())
    store.save(ids[2], RuleCheckpoint(schema="hallwatch.rule-state.v1", version=1, camera_id=ids[2], zones={}))
    store.close()
    try:
        pipeline._assign(ids)
        assert sorted(pipeline.workers) == sorted(ids)  # every camera runs, the bad ones afresh
        assert pipeline.metrics.checkpoints_unusable._value.get() == 2  # each unusable one, counted
        wait_for(lambda: all(w.stats.frames_analysed > 0 for w in pipeline.workers.values()), 30, "every camera")
    finally:
        pipeline._revoke(list(pipeline.workers))
        pipeline.rule_state.close()


def test_a_worker_in_a_group_closes_what_ended_and_keeps_its_tracks(kafka_broker, tmp_path):
    """Scale-out edges (issue 24): cameras whose input ends (files, replays) left their open
    violations open for ever in a group (the single process closes them at the end of input);
    a worker's --tracks-out file was truncated when a camera came back; the final count said 0
    frames after a hand-over; a worker stopping took on cameras during its own shutdown."""
    from configs.loader import load_config
    from ingest.pipeline import Pipeline
    from tests.test_scale_out import site

    marker = uuid.uuid4().hex[:8]
    start = datetime.now(UTC).replace(microsecond=0)
    path, ids = site(tmp_path, marker, 2, start, kafka={"bootstrap_servers": kafka_broker.bootstrap})
    cfg = load_config(path)
    events, tracks = tmp_path / "events.jsonl", tmp_path / "tracks"
    pipeline = Pipeline(
        cfg, events_out=events, tracks_out=tracks, use_kafka=False, group=f"g-{marker}", worker_id="w-edges"
    )
    stop = threading.Event()
    runner = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
    runner.start()
    try:

        def messages() -> list[dict]:
            return [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []

        wait_for(lambda: sorted(pipeline.workers) == sorted(ids), 60, "both cameras assigned")
        # Both replays end and their episodes close. On a loaded machine the group may rebalance
        # meanwhile (a heartbeat starved past the short test session timeout): the cameras then
        # continue from their checkpoints and end later, which the assertions below also cover.
        wait_for(lambda: len(pipeline._finished) == 2, 300, "both replays ended, their episodes closed")
        opened = {m["event_id"] for m in messages() if m["status"] == "open"}
        closed = {m["event_id"] for m in messages() if m["status"] == "closed"}
        assert opened and opened <= closed, opened - closed
        lines = {camera: (tracks / f"{camera}.txt").read_text().count("\n") for camera in ids}
        assert all(lines.values())
        pipeline._revoke([ids[0]])  # the camera leaves, and comes back
        pipeline._assign([ids[0]])
        assert (tracks / f"{ids[0]}.txt").read_text().count("\n") >= lines[ids[0]]  # appended, not truncated
        frames = pipeline._frames_elsewhere
        assert frames > 0  # counted in the final line
        pipeline._stopping = True
        pipeline._assign([f"someone-elses-{marker}"])  # taken on during shutdown: refused
        assert f"someone-elses-{marker}" not in pipeline.workers
    finally:
        stop.set()
        runner.join(60)
