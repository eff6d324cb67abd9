"""The world of the supervision-loop tests (issue 25): users of three roles and a hall manager per
hall, rosters, and a scenario of six alerts decided and dispatched, used by the API and the browser
tests alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from alerts.api import create_app
from alerts.service import AlertService
from configs.loader import parse_config
from tests.alert_fixtures import registry, violation
from tests.helpers import TZ, add_users

PASSWORD = "correct horse battery"
USERS = {
    "op": ("operator", "county", "陈值班"),
    "officer": ("discipline_officer", "county", "王纪检"),
    "manager": ("hall_manager", "town", "张主任", "h1"),
    "manager_county": ("hall_manager", "county", "刘主任", "h-county"),
    "admin": ("admin", "city", "管理员"),
}
ROSTERS = [
    {"hall": "h1", "window": "w1", "person": "李强"},
    {"hall": "h1", "window": "w2", "person": "王芳"},
    {"hall": "h-county", "window": "w1", "person": "赵敏"},
]


def case_world(tmp_path: Path):
    """A service with the registry's regions and halls, named windows and cameras, rosters, and
    the five users of the loop; (app, service)."""
    data = registry(
        "127.0.0.1:1", "g", alerts={"secure_cookies": False}, evidence={"root": str(tmp_path), "hmac_key": "k"}
    )
    data["halls"][2]["windows"][0]["name"] = "1号综合窗口"
    data["cameras"][3]["name"] = "莲花大厅东侧枪机"
    data["rosters"] = ROSTERS
    service = AlertService.open(parse_config(data), f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    add_users(app, USERS, PASSWORD)
    return app, service


def login(app, name: str):
    """(a TestClient logged in as ``name``, its CSRF header)."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    me = client.post("/api/login", json={"username": name, "password": PASSWORD}).json()
    return client, {"X-CSRF-Token": me["csrf"]}


def open_console(browser, url: str, name: str, width: int = 1366, height: int = 768):
    """A Chromium page logged into the console as ``name``, every tab wired."""
    page = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True).new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#user:has-text('（')")
    return page


T = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def scenario(service) -> None:
    """Six alerts over two weeks, decided as the table in ``test_statistics_equal_the_hand_count``."""

    def alert(eid, hall="h1", window="w1", type="empty_post", reason="left_post", start=T, duration=300.0):
        where = {
            "h1": dict(region_id="town", region_path=["city", "county", "town"], level="township", camera_id="c-h1"),
            "h-county": dict(region_id="county", region_path=["city", "county"], level="county", camera_id="c-county"),
            "h2": dict(region_id="town2", region_path=["city", "county2", "town2"], level="township", camera_id="c-h1"),
        }[hall]
        end = start + timedelta(seconds=duration)
        return violation(
            eid,
            "closed",
            hall_id=hall,
            window_id=window,
            type=type,
            reason=reason,
            started_at=start.isoformat(),
            ended_at=end.isoformat(),
            duration_s=duration,
            **where,
        )

    service.store.apply_violations(
        [
            alert("a1"),
            alert("a2", reason="late_arrival", duration=600.0),
            alert("a3", window="w2", type="staff_chatting", reason="gathering"),
            alert("a4", hall="h-county", reason="early_leave", duration=300.0),
            alert("a5", hall="h2", window=None, type="queue_crowding", reason="too_close", start=T + timedelta(days=7)),
            alert("a6", reason="early_leave", duration=120.0),
        ]
    )
    step = service.lifecycle.transition
    at = T + timedelta(hours=1)
    for eid in ("a1", "a2", "a3", "a4", "a6"):
        step(eid, "op", "acknowledge", now=at)
    for eid, outcome in (
        ("a1", "confirmed"),
        ("a2", "confirmed"),
        ("a3", "dismissed"),
        ("a4", "confirmed"),
        ("a6", "dismissed"),
    ):
        step(eid, "officer", "review", "复核", outcome, now=at)
    for eid in ("a1", "a2", "a4"):
        step(eid, "officer", "dispatch", requirement="整改", due_at=T + timedelta(days=1), now=at)
    step("a1", "manager", "rectify", "已整改", now=T + timedelta(hours=20))  # on time
    step("a1", "officer", "close", "办结", now=T + timedelta(hours=21))
    step("a4", "manager_county", "rectify", "已整改", now=T + timedelta(days=2))  # late
    step("a3", "officer", "close", now=at)  # dismissed: closes without a case
    # a2 stays dispatched past its deadline: overdue. a5 waits for review.
