"""Access control: every role/region combination on every endpoint answers 401/403/404, never data
from outside the user's subtree; CSRF on every state change; no path traversal to evidence."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts.api import create_app
from alerts.service import AlertService
from alerts.store.schema import User
from configs.loader import parse_config
from tests.alert_fixtures import registry, violation
from tests.helpers import add_users

PASSWORD = "correct horse battery"
USERS = {  # name: (role, region)
    "op_town": ("operator", "town"),
    "op_county2": ("operator", "county2"),
    "officer_county": ("discipline_officer", "county"),
    "officer_county2": ("discipline_officer", "county2"),
    "admin_city": ("admin", "city"),
}


@pytest.fixture
def world(tmp_path):
    evidence_root = tmp_path / "evidence"
    cfg = parse_config(
        registry(
            "127.0.0.1:1", "g", alerts={"secure_cookies": False}, evidence={"root": str(evidence_root), "hmac_key": "k"}
        )
    )
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    add_users(app, USERS, PASSWORD)
    folder = evidence_root / "2026-03-02" / "h1" / "a"
    folder.mkdir(parents=True)
    (folder / "snapshot.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "secret.txt").write_text("outside the evidence root")
    # A reference outside the event's folder cannot arrive through Kafka (the consumer rejects it);
    # the API refuses it all the same, should one ever be stored.
    a = dataclasses.replace(
        violation("a"), evidence={"snapshot": "2026-03-02/h1/a/snapshot.jpg", "sneaky": "../secret.txt"}
    )
    b = violation("b", hall_id="h2", region_id="town2", region_path=["city", "county2", "town2"])
    service.store.apply_violations([a, b])
    return app, service


def client_for(app, name: str | None) -> tuple[TestClient, dict]:
    client = TestClient(app)
    if name is None:
        return client, {}
    me = client.post("/api/login", json={"username": name, "password": PASSWORD}).json()
    return client, {"X-CSRF-Token": me["csrf"]}


def test_wrong_password_and_unknown_user_look_the_same(world):
    app, _ = world
    client = TestClient(app)
    r1 = client.post("/api/login", json={"username": "op_town", "password": "wrong password!"})
    r2 = client.post("/api/login", json={"username": "nobody", "password": "wrong password!"})
    assert r1.status_code == r2.status_code == 401 and r1.json() == r2.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/alerts",
        "/api/alerts/a",
        "/api/alerts/a/evidence/snapshot",
        "/api/alerts/a/export",
        "/api/absences",
        "/api/cameras",
        "/api/coverage",
        "/api/registry",
        "/api/me",
        "/api/stream",
    ],
)
def test_everything_needs_a_login(world, path):
    app, _ = world
    client, _ = client_for(app, None)
    assert client.get(path).status_code == 401
    assert client.post("/api/alerts/a/ack", json={}).status_code == 401
    assert client.get("/").status_code in (200, 307) and "login" in str(client.get("/").url)


def test_lists_show_only_the_subtree(world):
    app, _ = world
    seen = {}
    for name in USERS:
        client, _ = client_for(app, name)
        seen[name] = {a["event_id"] for a in client.get("/api/alerts").json()}
        halls = {h["id"] for h in client.get("/api/registry").json()["halls"]}
        cams = {c["hall_id"] for c in client.get("/api/cameras").json()}
        uncovered = {h["hall_id"] for h in client.get("/api/coverage").json()["uncovered"]}
        assert cams <= halls and uncovered <= halls, name
        if name != "admin_city":
            assert "all" not in client.get("/api/coverage").json()["by_region"]
    assert seen == {
        "op_town": {"a"},
        "op_county2": {"b"},
        "officer_county": {"a"},
        "officer_county2": {"b"},
        "admin_city": {"a", "b"},
    }
    client, _ = client_for(app, "op_county2")
    assert client.get("/api/alerts", params={"region": "county"}).status_code == 404  # not even by asking
    assert client.get("/api/alerts", params={"hall": "h1"}).json() == []


@pytest.mark.parametrize("name", ["op_county2", "officer_county2"])
def test_guessing_an_id_outside_the_subtree_is_404(world, name):
    app, _ = world
    client, csrf = client_for(app, name)
    for path in ("/api/alerts/a", "/api/alerts/a/evidence/snapshot", "/api/alerts/a/export"):
        r = client.get(path)
        assert r.status_code in (403, 404) and "event_id" not in r.text, path
    due = {"due_at": "2099-01-01T09:00:00+08:00"}
    for action, body in (
        ("ack", {}),
        ("review", {"outcome": "confirmed", "note": "x"}),
        ("dispatch", {"requirement": "x", **due}),
        ("rectify", {"note": "x"}),
        ("return", {"note": "x", **due}),
        ("close", {}),
    ):
        r = client.post(f"/api/alerts/a/{action}", json=body, headers=csrf)
        assert r.status_code in (403, 404) and "event_id" not in r.text
    r = client.post(
        "/api/absences",
        json={
            "hall_id": "h1",
            "window_id": "w1",
            "start": "2026-03-02T09:00+08:00",
            "end": "2026-03-02T10:00+08:00",
            "reason": "x",
        },
        headers=csrf,
    )
    assert r.status_code in (403, 404)


def test_roles(world):
    app, _ = world
    officer, officer_csrf = client_for(app, "officer_county")
    operator, operator_csrf = client_for(app, "op_town")
    assert officer.post("/api/alerts/a/ack", json={}, headers=officer_csrf).status_code == 403
    assert (
        operator.post(
            "/api/alerts/a/review", json={"outcome": "confirmed", "note": "x"}, headers=operator_csrf
        ).status_code
        == 403
    )
    assert operator.get("/api/alerts/a/export").status_code == 403
    assert operator.post("/api/alerts/a/ack", json={"note": "已提醒"}, headers=operator_csrf).status_code == 200
    assert (
        officer.post(
            "/api/alerts/a/review", json={"outcome": "confirmed", "note": " "}, headers=officer_csrf
        ).status_code
        == 422
    )  # a note is required
    r = officer.post("/api/alerts/a/review", json={"outcome": "confirmed", "note": "核实属实"}, headers=officer_csrf)
    assert r.status_code == 200 and r.json()["lifecycle"] == "reviewed"
    officer2, _ = client_for(app, "officer_county2")
    assert officer2.get("/api/alerts/a/export").status_code == 404
    export = officer.get("/api/alerts/a/export")
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert {"record/event.json", "record/audit.json", "evidence/snapshot.jpg"} <= set(archive.namelist())
    trail = json.loads(archive.read("record/audit.json"))
    assert [e["action"] for e in trail][:3] == ["violation_open", "acknowledge", "review"]
    actions = [e.action for e in app.state.ctx.store.audit("a")]
    assert actions[-1] == "export"


def test_csrf_is_required_for_every_state_change(world):
    app, _ = world
    client, _ = client_for(app, "admin_city")
    assert client.post("/api/alerts/a/ack", json={}).status_code == 403
    assert client.post("/api/alerts/a/ack", json={}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/absences", json={}).status_code == 403
    assert client.post("/api/logout").status_code == 403


def test_no_path_traversal_to_evidence(world):
    app, _ = world
    client, _ = client_for(app, "admin_city")
    assert client.get("/api/alerts/a/evidence/snapshot").content == b"\xff\xd8jpeg"
    assert client.get("/api/alerts/a/evidence/sneaky").status_code == 404  # a reference leading outside the root
    assert client.get("/api/alerts/a/evidence/..%2F..%2Fsecret.txt").status_code == 404
    assert client.get("/static/..%2Fapi.py").status_code == 404
    views = [e for e in app.state.ctx.store.audit("a") if e.action == "evidence_view"]
    assert views and views[0].actor == "admin_city"


@pytest.mark.slow
def test_users_cli_creates_a_user_and_refuses_weak_passwords(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    db = f"sqlite:///{tmp_path / 'u.db'}"
    run = lambda pw, *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "alerts.users", *a, "--database-url", db],
        input=pw,
        text=True,
        capture_output=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert run("short\n", "add", "wang", "--role", "operator", "--region", "lianhua").returncode == 2
    ok = run("a sufficiently long one\n", "add", "wang", "--role", "operator", "--region", "lianhua", "--name", "王五")
    assert ok.returncode == 0, ok.stderr
    listed = run("", "list")
    assert "wang\toperator\tlianhua\tactive\t王五" in listed.stdout
    assert f"database: {db}" in listed.stderr  # which store, always said
    # A hall's manager: bound to the hall (its region from the config), named for the 督办单.
    pw = "a sufficiently long one\n"
    assert run(pw, "add", "zhang", "--role", "hall_manager", "--hall", "lianhua-center").returncode == 2  # no --name
    assert run(pw, "add", "zhang", "--role", "hall_manager", "--hall", "nowhere", "--name", "张").returncode == 2
    assert run(pw, "add", "zhao", "--role", "operator", "--hall", "lianhua-center", "--name", "赵").returncode == 2
    made = run(pw, "add", "zhang", "--role", "hall_manager", "--hall", "lianhua-center", "--name", "张主任")
    assert made.returncode == 0, made.stderr
    assert "zhang\thall_manager\tlianhua-center\tactive\t张主任" in run("", "list").stdout
    assert Path(tmp_path / "u.db").exists()


def test_bulk_acknowledge_is_scoped_and_audited_one_by_one(world):
    app, service = world
    county2 = {"hall_id": "h2", "region_id": "town2", "region_path": ["city", "county2", "town2"]}
    service.store.apply_violations([violation("bulk-1", **county2), violation("bulk-2", **county2)])
    operator, csrf = client_for(app, "op_county2")
    r = operator.post(
        "/api/alerts/ack",
        json={"event_ids": ["bulk-1", "bulk-2", "a", "nope", "bulk-1"], "note": "同一事件，批量确认"},
        headers=csrf,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["acknowledged"] == ["bulk-1", "bulk-2"]
    assert set(body["refused"]) == {"a", "nope"}  # "a" is outside the user's subtree: as if unknown
    for event_id in ("bulk-1", "bulk-2"):
        trail = [(e.actor, e.action, e.details.get("note")) for e in service.store.audit(event_id)]
        assert ("op_county2", "acknowledge", "同一事件，批量确认") in trail
    again = operator.post("/api/alerts/ack", json={"event_ids": ["bulk-1"]}, headers=csrf).json()
    assert again["acknowledged"] == [] and "bulk-1" in again["refused"]  # already acknowledged: 409's reason
    assert operator.post("/api/alerts/ack", json={"event_ids": []}, headers=csrf).status_code == 422
    officer, officer_csrf = client_for(app, "officer_county2")
    assert officer.post("/api/alerts/ack", json={"event_ids": ["bulk-1"]}, headers=officer_csrf).status_code == 403


def test_shift_notes_are_scoped_and_record_what_was_waiting(world):
    app, service = world
    operator, csrf = client_for(app, "op_town")
    r = operator.post("/api/shift-notes", json={"text": "莲花街道 2号窗口 摄像头画面偏移，已报修"}, headers=csrf)
    assert r.status_code == 201
    note = r.json()
    assert note["author"] == "op_town" and note["summary"]["new"] == 1  # alert "a" is waiting in the subtree
    assert note["summary"]["received_since_last_note"] is None  # the first note of this subtree
    with app.state.ctx.repos.db.session() as db:  # a display name: the log names people by it
        db.get(User, "op_town").display_name = "周值班"
    listed = operator.get("/api/shift-notes").json()
    assert listed[0]["author"] == "op_town" and listed[0]["author_name"] == "周值班"
    second = operator.post("/api/shift-notes", json={"text": "交班：无新情况"}, headers=csrf).json()
    assert second["summary"]["received_since_last_note"] == 0
    assert [n["text"] for n in operator.get("/api/shift-notes").json()] == [
        "交班：无新情况",
        "莲花街道 2号窗口 摄像头画面偏移，已报修",
    ]
    other, other_csrf = client_for(app, "op_county2")
    assert other.get("/api/shift-notes").json() == []  # another county's log
    officer, officer_csrf = client_for(app, "officer_county")
    assert officer.post("/api/shift-notes", json={"text": "x"}, headers=officer_csrf).status_code == 403
    assert [n["author"] for n in officer.get("/api/shift-notes").json()] == ["op_town", "op_town"]  # below the county
    assert operator.post("/api/shift-notes", json={"text": ""}, headers=csrf).status_code == 422
    assert operator.post("/api/shift-notes", json={"text": "x" * 4001}, headers=csrf).status_code == 422
