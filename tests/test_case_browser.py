"""The supervision loop in a real Chromium (issue 25): an operator, a discipline officer and the
hall's manager, each in their own browser, walk one alert through 确认 → 复核 → 督办 → 整改反馈 →
退回 → 整改反馈 → 办结; then 统计 at 1366×768 and 1920×1080 with the numbers the API gives."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from tests.alert_fixtures import violation
from tests.case_fixtures import PASSWORD, case_world, open_console, scenario
from tests.conftest import ROOT
from tests.console_server import serve_app
from tests.helpers import TZ

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed")
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
ARTIFACTS = Path(os.environ.get("HALLWATCH_ARTIFACTS", ROOT / "tests" / "artifacts"))


def open_alert(page, event_id: str, state_label: str) -> None:
    page.click("#f-apply")
    page.wait_for_selector(f"tr.alert-row[data-id='{event_id}']")
    page.click(f"tr.alert-row[data-id='{event_id}']")
    page.wait_for_selector(f"#detail .badge:has-text('{state_label}')")


def test_three_roles_walk_a_case_to_its_close_in_the_console(tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app, service = case_world(tmp_path)
    service.store.apply_violations([violation("a"), violation("b", window_id="w2")])
    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        op = open_console(browser, url, "op")
        officer = open_console(browser, url, "officer")
        manager = open_console(browser, url, "manager")
        # The hall's manager sees only what is theirs: no cameras, rosters or review queue.
        assert manager.inner_text("#user") == "张主任（大厅负责人 · 莲花街道便民服务中心）"
        assert not manager.is_visible("nav button[data-tab=cameras]")
        assert not manager.is_visible("nav button[data-tab=review]")
        assert manager.is_visible("nav button[data-tab=stats]") and not manager.is_visible("#bulk-ack")

        # The operator acknowledges both alerts of the page at once (全选本页 → 批量确认).
        op.wait_for_selector("#unacked:has-text('待确认 2')")
        op.check("#pick-all")
        assert op.eval_on_selector_all("#alerts input.pick:checked", "xs => xs.length") == 2
        op.click("#bulk-ack")
        op.wait_for_selector("#bulk-msg:has-text('已确认 2 条')")
        op.wait_for_selector("#unacked:has-text('待确认 0')")

        open_alert(officer, "a", "已确认")
        officer.fill("#review-note", "核实为无故离岗")
        officer.click("#confirm")
        officer.wait_for_selector("#dispatch")
        officer.click("#dispatch")  # the requirement is required: told in Chinese, nothing sent
        assert officer.inner_text("#action-msg") == "整改要求必填"
        officer.fill("#dispatch-requirement", "三日内组织窗口人员学习考勤制度并书面说明")
        officer.click("#dispatch")
        officer.wait_for_selector("#detail .badge:has-text('已督办')")
        assert "三日内组织窗口人员学习考勤制度" in officer.inner_text("table.case")

        manager.wait_for_selector("#unacked:has-text('待整改 1')")
        open_alert(manager, "a", "已督办")
        assert not manager.is_visible("#export")  # the ZIP is the centre's; the 督办单 is theirs
        assert manager.is_visible("#case-sheet")
        manager.fill("#rectify-note", "已约谈当事人，补签考勤")
        manager.click("#rectify")
        manager.wait_for_selector("#detail .badge:has-text('已反馈')")

        open_alert(officer, "a", "已反馈")
        officer.fill("#return-note", "反馈未附学习记录，请补充")
        officer.click("#return")
        officer.wait_for_selector("#detail .badge:has-text('已督办')")
        assert "已退回 1 次" in officer.inner_text("table.case")

        open_alert(manager, "a", "已督办")
        manager.fill("#rectify-note", HOSTILE + "已补充学习记录及签到表")
        manager.click("#rectify")
        manager.wait_for_selector("#detail .badge:has-text('已反馈')")
        manager.screenshot(path=str(ARTIFACTS / "console-case-hall-manager.png"))

        open_alert(officer, "a", "已反馈")
        officer.fill("#close-note", "整改到位，同意办结")
        officer.click("#close")
        officer.wait_for_selector("#detail .badge:has-text('已办结')")
        timeline = officer.inner_text("#detail .timeline")
        for step in ("督办", "整改反馈", "退回重办", "办结", "王纪检", "张主任", "陈值班"):
            assert step in timeline, timeline
        assert "officer" not in timeline and "manager" not in timeline  # display names, not logins
        facts = officer.inner_text("#detail > p")
        assert "摄像头 莲花大厅东侧枪机 · 画面区域 岗位 · 1号综合窗口" in facts and "c-h1" not in facts
        # What the hall typed is text on the officer's screen, never markup.
        assert HOSTILE in officer.inner_text("table.case")
        assert officer.eval_on_selector_all("#detail img[src='x']", "xs => xs.length") == 0
        assert officer.evaluate("document.title") != "pwned"
        officer.screenshot(path=str(ARTIFACTS / "console-case-closed.png"))
        browser.close()
    trail = [(e.actor, e.action) for e in service.store.audit("a") if e.action != "evidence_view"]
    assert trail == [
        ("pipeline", "violation_open"),
        ("op", "acknowledge"),
        ("officer", "review"),
        ("officer", "dispatch"),
        ("manager", "rectify"),
        ("officer", "return"),
        ("manager", "rectify"),
        ("officer", "close"),
    ]
    case = service.repos.cases.get("a")
    assert (
        case.returns == 1
        and case.rectification == HOSTILE + "已补充学习记录及签到表"
        and case.due_at > datetime.now(TZ)
    )


def test_statistics_page_at_duty_room_and_wall_sizes(tmp_path):
    from fastapi.testclient import TestClient
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app, service = case_world(tmp_path)
    scenario(service)
    api = TestClient(app)
    api.post("/api/login", json={"username": "admin", "password": PASSWORD}).raise_for_status()
    params = {"start": "2026-03-01", "end": "2026-03-31"}
    expected = api.get("/api/stats", params=params).json()
    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = open_console(browser, url, "admin")
        page.click("nav button[data-tab=stats]")
        page.fill("#s-start", params["start"])
        page.fill("#s-end", params["end"])
        page.click("#stats-form button[type=submit]")
        page.wait_for_selector("#s-rows tr.stats-row td:has-text('空岗/离岗')")
        rows = page.eval_on_selector_all("#s-rows tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
        assert [r[0] for r in rows] == [r["name"] for r in expected["rows"]]
        first = expected["rows"][0]
        assert rows[0][1:5] == [str(first[k]) for k in ("alerts", "confirmed", "dismissed", "pending_review")]
        assert rows[0][5] == f"{first['false_alarm_rate'] * 100:.1f}%"
        assert page.inner_text("#s-total").startswith("合计")
        page.wait_for_selector("#s-trend svg.chart rect")
        assert page.eval_on_selector_all("#s-trend rect.all", "r => r.length") == 2  # two weeks
        # Every column within the page at 1366: no horizontal scrolling of the table.
        fits = page.evaluate("() => document.querySelector('table.stats').getBoundingClientRect().right <= innerWidth")
        assert fits
        page.screenshot(path=str(ARTIFACTS / "console-stats-1366.png"), full_page=True)
        page.select_option("#s-group", "person")
        page.wait_for_selector("#s-rows td:has-text('李强')")
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.screenshot(path=str(ARTIFACTS / "console-stats-1920.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#s-xlsx")
        assert download.value.suggested_filename.startswith("stats-person-2026-03-01")
        browser.close()


def test_repeats_of_one_window_are_one_row_until_opened(tmp_path):
    """An empty post raised again every two minutes is one row with ×3; opening it shows each alert
    (each is still decided on its own); another window's alert stays apart."""
    from datetime import timedelta

    from playwright.sync_api import sync_playwright

    from tests.alert_fixtures import T0

    app, service = case_world(tmp_path)
    service.store.apply_violations(
        [violation(f"r{i}", started_at=(T0 + timedelta(minutes=2 * i)).isoformat()) for i in range(3)]
        + [violation("late", started_at=(T0 + timedelta(minutes=40)).isoformat())]  # beyond 10 minutes: apart
        + [violation("w2", window_id="w2", started_at=(T0 + timedelta(minutes=1)).isoformat())]
    )
    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = open_console(browser, url, "op")
        page.wait_for_selector("tr.alert-row[data-id='r2'] .repeat-toggle")
        shown = "rows => rows.filter(r => !r.classList.contains('hidden')).map(r => r.dataset.id)"
        visible = lambda: page.eval_on_selector_all("#alerts tr.alert-row", shown)  # noqa: E731
        assert visible() == ["late", "r2", "w2"]
        assert page.inner_text("tr.alert-row[data-id='r2'] .repeat-toggle") == "×3"  # 点击展开 (its tooltip)
        page.check("tr.alert-row[data-id='r2'] input.pick")  # the group's box picks the group
        assert page.eval_on_selector_all("#alerts input.pick:checked", "xs => xs.map(x => x.dataset.id)") == [
            "r2",
            "r1",
            "r0",
        ]
        page.click("tr.alert-row[data-id='r2'] .repeat-toggle")
        page.wait_for_selector("tr.alert-row[data-id='r0']:not(.hidden)")
        assert visible() == ["late", "r2", "r1", "w2", "r0"]
        page.screenshot(path=str(ARTIFACTS / "console-repeats.png"))
        browser.close()


def test_a_dropped_live_stream_is_shown_and_the_list_catches_up(tmp_path):
    """The service goes away under an open console: the mark 实时推送已断开 shows at once; when the
    service is back the browser reconnects by itself, the mark goes, and an alert stored meanwhile
    is in the list without a reload."""
    import threading
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    from alerts.api.server import config
    from streams.broker import free_port
    from tests.helpers import wait_in_page

    def start(app, port: int) -> uvicorn.Server:
        server = uvicorn.Server(config(app, "127.0.0.1", port, 10))
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return server

    app, service = case_world(tmp_path)
    port = free_port()
    server = start(app, port)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = open_console(browser, f"http://127.0.0.1:{port}", "op")
        wait_in_page(page, "document.getElementById('page-info').textContent.startsWith('共 0 条')")
        assert not page.is_visible("#live-state")
        server.should_exit = server.force_exit = True  # the service dies with the stream open
        page.wait_for_selector("#live-state:has-text('实时推送已断开')", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "console-stream-lost.png"))
        service.store.apply_violations([violation("while-away")])
        time.sleep(4)  # older than the stream's own look-back window (3 s): only a reload finds it
        server = start(app, port)
        page.wait_for_selector("#live-state", state="hidden", timeout=15_000)
        page.wait_for_selector("tr.alert-row[data-id='while-away']", timeout=10_000)
        browser.close()
    server.should_exit = server.force_exit = True
