"""Notification channels (issue 26): an administrator's test of every webhook says what each
receiver answered, against real HTTP receivers on local ports: a generic endpoint, a DingTalk-style
robot that refuses with HTTP 200 and errcode ≠ 0 (which the notifier used to count as delivered), a
robot that takes it, and a port nobody listens on. Robots' tokens never appear in the answer."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.api import create_app
from alerts.notify import Notice, Notifier
from alerts.service import AlertService
from alerts.store.schema import AuditEntry
from configs.loader import parse_config
from configs.model import Webhook
from streams.broker import free_port
from tests.alert_fixtures import registry, violation
from tests.case_fixtures import PASSWORD
from tests.helpers import add_users

TOKEN = "secret-robot-token-0123456789"


class Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.bodies.append((self.path, body))
        answers = {
            "/generic": (200, b"accepted"),
            "/robot-refuses": (200, json.dumps({"errcode": 310000, "errmsg": "keywords not in content"}).encode()),
            "/robot-takes": (200, json.dumps({"errcode": 0, "errmsg": "ok"}).encode()),
        }
        status, answer = answers.get(self.path.split("?")[0], (404, b"no such hook"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.bodies = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def hooks(base: str) -> list[dict]:
    return [
        {"url": f"{base}/generic", "format": "generic"},
        {"url": f"{base}/robot-refuses?access_token={TOKEN}", "format": "dingtalk"},
        {"url": f"{base}/robot-takes?key={TOKEN}", "format": "wecom"},
        {"url": f"http://127.0.0.1:{free_port()}/nobody", "format": "generic"},
    ]


def test_an_administrator_tries_every_channel_and_reads_each_answer(tmp_path, receiver):
    data = registry("127.0.0.1:1", "g", alerts={"secure_cookies": False, "webhooks": hooks(receiver)})
    service = AlertService.open(parse_config(data), f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    add_users(
        app, {"admin": ("admin", "city", "管理员"), "officer": ("discipline_officer", "city", "王纪检")}, PASSWORD
    )
    admin = TestClient(app)
    admin.post("/api/login", json={"username": "admin", "password": PASSWORD}).raise_for_status()
    csrf = {"X-CSRF-Token": admin.get("/api/me").json()["csrf"]}
    answer = admin.post("/api/notifications/test", headers=csrf)
    assert answer.status_code == 200, answer.text
    channels = answer.json()["channels"]
    assert [c["ok"] for c in channels] == [True, False, True, False]
    assert channels[0]["status"] == 200 and channels[0]["answer"] == "accepted"
    assert channels[1]["error"] == "errcode 310000: keywords not in content"
    assert channels[3]["status"] is None and "ConnectError" in channels[3]["error"]
    assert TOKEN not in answer.text and channels[1]["target"] == receiver
    received = dict(Receiver.bodies)
    assert "测试" in received["/generic"]["text"] and "管理员" in received["/generic"]["text"]
    robot = next(body for path, body in Receiver.bodies if path.startswith("/robot-refuses"))
    assert robot["msgtype"] == "markdown" and "测试消息" in robot["markdown"]["text"]
    officer = TestClient(app)
    officer.post("/api/login", json={"username": "officer", "password": PASSWORD}).raise_for_status()
    assert (
        officer.post(
            "/api/notifications/test", headers={"X-CSRF-Token": officer.get("/api/me").json()["csrf"]}
        ).status_code
        == 403
    )
    with service.repos.db.session() as db:
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "notification_test")).all()


def test_a_robot_that_answers_200_with_an_error_code_is_not_delivered(receiver):
    """DingTalk and WeCom refuse with HTTP 200 and errcode ≠ 0: that is a failed notification."""
    notifier = Notifier([Webhook(**h) for h in hooks(receiver)[1:3]], attempts=1)
    notifier.notify(Notice(violation("n1"), "莲花街道便民服务中心", ("资阳市",)), "新告警")
    deadline = time.monotonic() + 10
    while notifier.sent + notifier.failed < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (notifier.sent, notifier.failed) == (1, 1)
