"""The alert store on SQLite and on a real PostgreSQL: idempotent, order-proof, audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from alerts.lifecycle import Lifecycle, TransitionRefused
from alerts.store.alerts import AlertStore
from alerts.store.cameras import CameraStore
from alerts.store.database import Database
from alerts.store.schema import Alert, AuditEntry, Case
from tests.alert_fixtures import T0, heartbeat, violation


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return AlertStore(Database.open(f"sqlite:///{tmp_path / 'alerts.db'}"))
    url = request.getfixturevalue("postgres_url")
    s = AlertStore(Database.open(url))
    with s.session() as session:  # a clean slate per test on the shared server
        session.query(Case).delete()
        session.query(AuditEntry).delete()
        session.query(Alert).delete()
    return s


def test_duplicates_and_replays_leave_one_alert(store):
    eid = str(uuid.uuid4())
    assert store.apply_violations([violation(eid)]).created == [eid]
    assert store.apply_violations([violation(eid), violation(eid)]).created == []
    assert store.count() == 1
    assert [e.action for e in store.audit(eid)] == ["violation_open"]


def test_close_before_open_ends_closed(store):
    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid, "closed")])
    store.apply_violations([violation(eid, "open")])  # late, out of order
    alert = store.get(eid)
    assert alert.event_status == "closed" and alert.closed_reason == "returned"
    assert alert.ended_at == T0 + timedelta(minutes=7)
    assert alert.started_at.utcoffset() == timedelta(0) and alert.started_at == T0  # same instant, UTC


def test_open_then_close_then_replay(store):
    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid, "open")])
    store.apply_violations([violation(eid, "closed")])
    store.apply_violations([violation(eid, "open"), violation(eid, "closed")])
    alert = store.get(eid)
    assert alert.event_status == "closed" and alert.duration_s == 420
    assert [e.action for e in store.audit(eid)] == ["violation_open", "violation_closed"]


def test_evidence_update_merges_without_reopening(store):
    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid, "closed")])
    store.apply_violations([violation(eid, "closed", evidence={"clip": f"2026-03-02/h1/{eid}/a.mp4"})])
    alert = store.get(eid)
    assert alert.event_status == "closed" and alert.payload["evidence"] == {"clip": f"2026-03-02/h1/{eid}/a.mp4"}


def test_lifecycle_is_ordered_and_audited(store):
    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid)])
    lifecycle = Lifecycle(store)
    with pytest.raises(TransitionRefused):
        lifecycle.transition(eid, "officer", "review", "ok", "confirmed")  # not acknowledged yet
    lifecycle.transition(eid, "operator-1", "acknowledge", "已电话提醒")
    with pytest.raises(ValueError, match="note"):
        lifecycle.transition(eid, "officer", "review", "  ", "confirmed")
    with pytest.raises(ValueError):
        lifecycle.transition(eid, "officer", "review", "note", "maybe")
    lifecycle.transition(eid, "officer-1", "review", "核实为无故离岗", "dismissed")
    lifecycle.transition(eid, "officer-1", "close")
    alert = store.get(eid)
    assert alert.lifecycle == "closed" and alert.review_outcome == "dismissed"
    trail = store.audit(eid)
    assert [(e.actor, e.action) for e in trail] == [
        ("pipeline", "violation_open"),
        ("operator-1", "acknowledge"),
        ("officer-1", "review"),
        ("officer-1", "close"),
    ]
    assert trail[2].details == {"note": "核实为无故离岗", "outcome": "dismissed"}


def test_a_case_is_stored_and_read_back_on_both_databases(store):
    """督办 → 整改反馈 → 退回 → 整改反馈 → 办结 through the store: the case row, its deadlines, the
    overdue and open-case queries, and the facts the statistics count (SQLite and PostgreSQL)."""
    from alerts.store.cases import CaseStore

    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid)])
    cases, lifecycle = CaseStore(store.db), Lifecycle(store)
    t = datetime.now(UTC)
    lifecycle.transition(eid, "op", "acknowledge", now=t)
    lifecycle.transition(eid, "officer", "review", "属实", "confirmed", now=t)
    with pytest.raises(TransitionRefused):
        lifecycle.transition(eid, "officer", "close", now=t)  # confirmed: dispatched first
    lifecycle.transition(eid, "officer", "dispatch", requirement="整改", due_at=t + timedelta(hours=2), now=t)
    assert [c.event_id for c in cases.overdue(t + timedelta(hours=2))] == [eid]
    assert cases.overdue(t + timedelta(hours=1)) == []
    states, overdue = cases.open_counts(t + timedelta(hours=3))
    assert states == {("dispatched", "township", "town"): 1} and overdue == {("township", "town"): 1}
    lifecycle.transition(eid, "manager", "rectify", "已整改", now=t + timedelta(hours=3))
    assert cases.get(eid).rectified_late is True
    lifecycle.transition(eid, "officer", "return", "不充分", due_at=t + timedelta(days=2), now=t + timedelta(hours=4))
    lifecycle.transition(eid, "manager", "rectify", "已补充", now=t + timedelta(hours=5))
    lifecycle.transition(eid, "officer", "close", "办结", now=t + timedelta(hours=6))
    case = cases.get(eid)
    assert (case.returns, case.rectified_late, case.closing_note) == (1, False, "办结")
    assert case.due_at == t + timedelta(days=2) and case.first_dispatched_at == t
    facts = cases.facts(T0 - timedelta(days=1), T0 + timedelta(days=1), "/city/")
    assert [(f.event_id, f.lifecycle, f.review_outcome, f.rectified_late) for f in facts] == [
        (eid, "closed", "confirmed", False)
    ]
    assert cases.open_counts(t) == ({}, {})


def test_listing_filters_by_region_subtree_and_time(store):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    store.apply_violations(
        [
            violation(a),
            violation(
                b,
                region_id="town2",
                region_path=["city", "county2", "town2"],
                hall_id="h2",
                started_at=(T0 + timedelta(hours=1)).isoformat(),
            ),
        ]
    )
    assert {x.event_id for x in store.list(region_path="/city/")} == {a, b}
    assert [x.event_id for x in store.list(region_path="/city/county/")] == [a]
    assert [x.event_id for x in store.list(since=T0 + timedelta(minutes=30))] == [b]
    assert [x.event_id for x in store.list(hall="h2")] == [b]
    assert store.list(region_path="/city/county_/") == []  # LIKE wildcards are escaped


def test_an_event_id_keeps_what_it_stands_for(store):
    """A message reusing a stored event id for another zone is a conflict, even ahead of a valid
    message of the same id in one batch; the valid one is applied."""
    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid)])
    applied = store.apply_violations([violation(eid, zone_id="elsewhere"), violation(eid, "closed")])
    assert applied.conflicts == {(eid, ("h1", "c-h1", "elsewhere", "empty_post"))}
    alert = store.get(eid)
    assert alert.zone_id == "p1" and alert.event_status == "closed"


def test_heartbeats_are_stored_in_bulk_the_latest_of_each_camera_winning(store):
    cams = [f"hb-{uuid.uuid4().hex[:8]}" for _ in range(3)]

    def beat(camera, status, worker="w1"):
        return heartbeat(camera, "h1", status, worker)

    cameras = CameraStore(store.db)
    cameras.apply_heartbeats([beat(cams[0], "online"), beat(cams[1], "online")])
    cameras.apply_heartbeats([beat(cams[0], "degraded"), beat(cams[0], "offline", "w2"), beat(cams[2], "online")])
    states = {c: (status, worker) for c, hall, status, at, worker in cameras.camera_states() if c in cams}
    assert states == {cams[0]: ("offline", "w2"), cams[1]: ("online", "w1"), cams[2]: ("online", "w1")}
    payload = next(c.payload for c in cameras.cameras() if c.camera_id == cams[0])
    assert payload["status"] == "offline"


def test_bulk_inserted_times_are_stored_in_sqlalchemys_format(tmp_path):
    """The driver's executemany path applies the columns' own processors: an alert starting on
    the exact second is found by a query bound to that second (text comparison on SQLite)."""
    from sqlalchemy import text

    store = AlertStore(Database.open(f"sqlite:///{tmp_path / 'a.db'}"))
    store.apply_violations([violation("00000000-0000-4000-8000-000000000001")])
    with store.sessions() as session:
        stored = session.execute(text("SELECT started_at FROM alerts")).scalar_one()
    assert stored == "2026-03-02 01:00:00.000000"
    assert [a.event_id for a in store.list(since=T0)] == ["00000000-0000-4000-8000-000000000001"]


def test_a_database_of_an_earlier_release_gains_the_new_table_and_columns(tmp_path):
    """Upgrading in place: a store created before the supervision loop has no `cases` table and
    no `users.hall_id`; opening it adds both, and its users and alerts are still there."""
    import sqlite3

    from sqlalchemy import inspect

    from alerts.store.database import Database

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE users (username VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(256), role VARCHAR(32),"
            " region_id VARCHAR(64), display_name VARCHAR(64), created_at DATETIME)"
        )
        old.execute("INSERT INTO users VALUES ('li', 'x', 'operator', 'town', '李', '2026-01-01 00:00:00')")
    db = Database.open(f"sqlite:///{path}")
    inspector = inspect(db.engine)
    assert "cases" in inspector.get_table_names()
    assert {"hall_id", "disabled"} <= {c["name"] for c in inspector.get_columns("users")}
    from alerts.store.schema import User

    with db.sessions() as session:
        user = session.get(User, "li")
        assert user.display_name == "李" and user.hall_id is None and user.disabled is False


def test_two_clicks_on_one_step_make_one_step(store):
    """A double click (two requests at once) on 督办 or 整改反馈 must not make two: each step
    starts from the state before it, read under the lock the step writes with (SQLite and
    PostgreSQL); the other request is refused (409 at the API)."""
    import threading

    eid = str(uuid.uuid4())
    store.apply_violations([violation(eid)])
    lifecycle = Lifecycle(store)
    lifecycle.transition(eid, "op", "acknowledge")
    lifecycle.transition(eid, "officer", "review", "属实", "confirmed")
    due = datetime.now(UTC) + timedelta(days=1)
    lifecycle.transition(eid, "officer", "dispatch", requirement="整改", due_at=due)
    for round_ in range(5):
        results: list[str] = []
        barrier = threading.Barrier(4)

        def click(results=results, barrier=barrier):
            barrier.wait()
            try:
                lifecycle.transition(eid, "manager", "rectify", "已整改")
                results.append("done")
            except TransitionRefused:
                results.append("refused")

        threads = [threading.Thread(target=click) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["done", "refused", "refused", "refused"], (round_, results)
        lifecycle.transition(eid, "officer", "return", "不充分", due_at=due)
    assert [e.action for e in store.audit(eid)].count("rectify") == 5
