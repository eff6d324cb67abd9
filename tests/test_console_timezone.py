"""The console in a browser that is not in the halls' time zone (Chromium set to New York): a
pushed alert sorts by time above older ones, absence times typed in the form are the halls'
local time, and lists show window and region names, not ids."""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

from alerts.api import create_app
from alerts.service import AlertService
from configs.loader import parse_config
from tests.alert_fixtures import T0, registry, violation, violation_message
from tests.console_server import serve_app

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed"),
]
PASSWORD = "timezone test password"


def test_a_browser_elsewhere_sees_hall_times_and_names(kafka_broker, tmp_path):
    from playwright.sync_api import sync_playwright

    data = registry(kafka_broker.bootstrap, f"tz-{uuid.uuid4().hex[:6]}", alerts={"secure_cookies": False})
    data["halls"][2]["windows"] = [{"id": "w1", "name": "1号综合窗口"}, {"id": "w2", "name": "2号窗口"}]
    cfg = parse_config(data)
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'alerts.db'}")
    older = str(uuid.uuid4())
    service.store.apply_violations([violation(older)])  # 09:00 in the hall
    service.start()
    app = create_app(service)
    app.state.users.add("zhang", PASSWORD, "operator", "town", "值班员张三")
    running = ExitStack()
    url = running.enter_context(serve_app(app))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            context = browser.new_context(timezone_id="America/New_York", viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(f"{url}/login")
            page.fill("input[name=username]", "zhang")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector(f"tr[data-id='{older}']")
            row = page.inner_text(f"tr[data-id='{older}']")
            assert "1号综合窗口" in row and "莲花街道" in row and "town" not in row  # names, not ids
            newer = str(uuid.uuid4())
            message = violation_message(newer, started_at=(T0 + timedelta(minutes=30)).isoformat())
            producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
            producer.send("hallwatch.violations", key=b"h1", value=json.dumps(message).encode())
            producer.flush()
            page.wait_for_selector(f"tr[data-id='{newer}']", timeout=30000)
            first = page.get_attribute("#alerts tr.alert-row:first-child", "data-id")
            assert first == newer  # pushed live, and the newest: on top
            page.screenshot(path=str(tmp_path / "live.png"))

            page.click("nav button[data-tab=absences]")
            page.fill("input[name=start]", "2026-03-02T10:00")
            page.fill("input[name=end]", "2026-03-02T09:00")
            reason = f"到市民中心参加培训 {uuid.uuid4().hex[:6]}"  # the absences topic is shared by the session
            page.fill("input[name=reason]", reason)
            page.click("#absence button[type=submit]")
            page.wait_for_selector("#absence-msg:has-text('结束时间须晚于开始时间')")
            page.fill("input[name=end]", "2026-03-02T11:30")
            page.fill("input[name=person]", "王五")
            page.click("#absence button[type=submit]")
            page.wait_for_selector(f"#absences td:has-text('{reason}')")
            listed = page.inner_text(f"#absences tr:has(td:has-text('{reason}'))")
            browser.close()
    finally:
        running.close()
        service.stop()
    # (The absences topic is shared by the session's tests: find this one.)
    stored = next(a for a in service.repos.absences.list() if a.registered_by == "zhang" and a.person == "王五")
    assert stored.start == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in the hall (UTC+8)
    assert stored.end == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert "10:00" in listed and "11:30" in listed and "王五" in listed and "1号综合窗口" in listed
