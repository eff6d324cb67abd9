"""考勤报表 in a real Chromium at a duty-room screen size (1366x768): the scenario hall's report,
the same numbers as the API, and the Excel download."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests import attendance_scenario as att
from tests.conftest import ROOT
from tests.console_server import serve_app
from tests.helpers import wait_in_page

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed")
ARTIFACTS = Path(os.environ.get("HALLWATCH_ARTIFACTS", ROOT / "tests" / "artifacts"))
PASSWORD = "report test password"


def test_the_attendance_report_page(tmp_path):
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    service, app = att.alert_service(att.build_actors(), tmp_path)
    app.state.users.add("admin", PASSWORD, "admin", "c", "管理员王五")
    day = att.START.date().isoformat()
    api = TestClient(app)
    api.post("/api/login", json={"username": "admin", "password": PASSWORD}).raise_for_status()
    expected = api.get("/api/reports/attendance", params={"start": day, "end": day}).json()
    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(
            viewport={"width": 1366, "height": 768}, accept_downloads=True, timezone_id="America/Los_Angeles"
        )
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#user:has-text('（')")
        page.click("nav button[data-tab=report]")
        page.fill("#r-start", day)
        page.fill("#r-end", day)
        page.click("#report-form button[type=submit]")
        page.wait_for_selector(f"#r-windows tr.report-window td:has-text('{day}')")
        rows = page.eval_on_selector_all("#r-windows tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
        assert [r[2] for r in rows] == ["1号窗口", "2号窗口", "3号窗口"], rows
        for row, want in zip(rows, expected["windows"]):
            assert row[8] == f"{want['staffed_share'] * 100:.1f}%", rows  # 到岗率
            assert row[9] == f"{want['late_min']:.1f}" and row[10] == f"{want['early_min']:.1f}"
        assert [r[3] for r in rows] == ["张三", "李四", "—"]  # 值班人员 from the roster
        assert "缺岗" in page.inner_text("#r-windows-head") and "到岗 —" in rows[2][4]
        assert not page.is_visible("#detail")  # the report uses the whole width
        regions = page.eval_on_selector_all("#r-regions tr", "rows => rows.map(r => r.cells[1].innerText)")
        assert regions == ["市", "县（区）", "乡（街道）"]
        page.screenshot(path=str(ARTIFACTS / "console-attendance-report-1366.png"), full_page=True)
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.screenshot(path=str(ARTIFACTS / "console-attendance-report.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 768})
        with page.expect_download() as download:
            page.click("#r-xlsx")
        path = tmp_path / "report.xlsx"
        download.value.save_as(path)
        # Quick ranges in the halls' calendar, not the browser's (Los Angeles): this week from Monday, last month.
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        last_month_end = today.replace(day=1) - timedelta(days=1)
        for preset, want in [
            ("week", (today - timedelta(days=today.weekday()), today)),
            ("last-month", (last_month_end.replace(day=1), last_month_end)),
        ]:
            with page.expect_response(lambda r: "/api/reports/attendance" in r.url and "format=json" in r.url):
                page.click(f"#report-form button[data-range={preset}]")
            assert (page.input_value("#r-start"), page.input_value("#r-end")) == tuple(d.isoformat() for d in want)
            assert f"start={want[0].isoformat()}" in page.get_attribute("#r-xlsx", "href")
        browser.close()
    book = load_workbook(io.BytesIO(path.read_bytes()))
    assert [c.value for c in book["窗口"]["D"]][2:] == [
        "1号窗口",
        "2号窗口",
        "3号窗口",
    ]  # under the title and the headers


def test_the_roster_page(tmp_path):
    """排班 in Chromium in a browser far from the halls (New York): the scenario hall's week from the
    config's rosters, an admin adds a shift (validated in Chinese before it is sent), the alerts of
    that window then name the person, the shift is removed again; operators only read. Screenshots
    at 1920x1080 and 1366x768, where no shift's times wrap."""
    from fastapi.testclient import TestClient
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    service, app = att.alert_service(att.build_actors(), tmp_path)
    app.state.users.add("admin", PASSWORD, "admin", "c", "管理员王五")
    app.state.users.add("op", PASSWORD, "operator", "c", "值班员赵六")
    day = att.START.date().isoformat()
    assert att.START.weekday() == 0  # the scenario runs on a Monday: the first column
    api = TestClient(app)
    api.post("/api/login", json={"username": "admin", "password": PASSWORD}).raise_for_status()
    w2_alerts = [a for a in api.get("/api/alerts").json() if a["window_id"] == "w2"]
    assert w2_alerts and all(a["on_duty"] == [] for a in w2_alerts)  # nobody rostered at 3号窗口

    def login(browser, name, viewport, prepare=lambda page: None):
        page = browser.new_page(viewport=viewport, timezone_id="America/New_York", locale="zh-CN")
        prepare(page)
        page.goto(f"{url}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#user:has-text('（')")
        page.click("nav button[data-tab=rosters]")
        page.fill("#ro-day", day)
        page.dispatch_event("#ro-day", "change")
        page.wait_for_selector(f"#ro-head th:has-text('{day[5:].replace('-', '/')}')")
        return page

    def grid(page):
        return page.eval_on_selector_all(
            "#ro-body tr",
            "rows => rows.map(r => [...r.cells].map(c => c.innerText.replace(/×/g, '').replace(/\\s+/g, ' ').trim()))",
        )

    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = login(browser, "admin", {"width": 1920, "height": 1080})
        page.on("dialog", lambda dialog: dialog.accept())
        rows = grid(page)
        assert [r[0] for r in rows] == ["模拟大厅 · 1号窗口", "模拟大厅 · 2号窗口", "模拟大厅 · 3号窗口"] or [
            r[0].split(" · ")[-1] for r in rows
        ] == ["1号窗口", "2号窗口", "3号窗口"], rows
        # The config's whole-day shift, within the hall's hours (issue 26: it read 00:00–24:00).
        assert all(cell.startswith("张三 09:00–09:05 09:07–09:13") for cell in rows[0][1:]), rows
        assert all(cell.startswith("李四 09:00–09:05") for cell in rows[1][1:]), rows
        assert rows[2][1:] == ["—"] * 7, rows
        assert page.locator("#ro-body .chip.config button.del").count() == 0  # the config's: read-only

        page.select_option("#ro-window", "w2")
        page.fill("#ro-person", "王芳")
        page.fill("#ro-periods", "12:00-08:30")
        page.click("#ro-form button[type=submit]")
        page.wait_for_selector("#ro-msg:has-text('添加失败')")
        assert "结束时间须晚于开始时间" in page.inner_text("#ro-msg")
        assert grid(page)[2][1:] == ["—"] * 7

        page.fill("#ro-periods", "09:00-09:13，13:30-17:30")
        page.click("#ro-form button[type=submit]")
        page.wait_for_selector("#ro-body .chip.console")
        rows = grid(page)
        assert [c.split(" ")[0] for c in rows[2][1:]] == ["王芳"] * 5 + ["—"] * 2, rows  # Monday to Friday
        assert "王芳 09:00–09:05 09:07–09:13" == rows[2][1], rows  # 09:00–09:13 13:30–17:30 within the hall's hours
        page.screenshot(path=str(ARTIFACTS / "console-rosters.png"))
        page.set_viewport_size({"width": 1366, "height": 768})
        wrapped = page.eval_on_selector_all(
            "#ro-body .chip small",
            "xs => xs.filter(x => x.getClientRects().length !== 1 || x.scrollWidth > x.clientWidth + 1).length",
        )
        assert wrapped == 0
        # With every tab, the header is still one line: the title, each tab and 退出 unbroken.
        assert (
            page.eval_on_selector_all(
                "nav button",
                "bs => new Set(bs.filter(b => b.offsetParent)"
                ".map(b => Math.round(b.getBoundingClientRect().top))).size",
            )
            == 1
        )
        for selector in ("header h1", "#logout", "nav button[data-tab=rosters]"):
            assert page.eval_on_selector(selector, "e => e.getClientRects().length === 1 && e.scrollHeight < 40"), (
                selector
            )
        page.screenshot(path=str(ARTIFACTS / "console-rosters-1366.png"))

        # The alerts of 3号窗口 now name the person on duty, in the list and the detail.
        page.click("nav button[data-tab=alerts]")
        page.wait_for_selector("#alerts tr.alert-row")
        page.reload()
        page.wait_for_selector("#alerts tr.alert-row:has-text('3号窗口')")
        row = page.locator("#alerts tr.alert-row:has-text('3号窗口')").first
        assert "王芳" in row.inner_text() and "值班：王芳" in row.locator("td:nth-child(4)").get_attribute("title")
        assert all(a["on_duty"] == ["王芳"] for a in api.get("/api/alerts").json() if a["window_id"] == "w2")

        page.click("nav button[data-tab=rosters]")
        page.fill("#ro-day", day)
        page.dispatch_event("#ro-day", "change")
        page.wait_for_selector("#ro-body .chip.console button.del")
        page.click("#ro-body .chip.console button.del >> nth=0")
        page.wait_for_selector("#ro-msg:has-text('已删除')")
        wait_in_page(page, "() => !document.querySelector('#ro-body .chip.console')")
        assert grid(page)[2][1:] == ["—"] * 7

        # The tab first asks for this week; the operator picks another before it answers: the late
        # answer must not replace the week asked for last (held here until the other has shown).
        held = []
        operator = login(
            browser,
            "op",
            {"width": 1366, "height": 768},
            prepare=lambda page: page.route(
                re.compile(r"/api/rosters\?day=(?!" + day + ")"), lambda route: held.append(route)
            ),
        )
        assert len(held) == 1
        with operator.expect_response(lambda r: "/api/rosters?day=" in r.url and day not in r.url):
            held[0].continue_()
        operator.wait_for_timeout(300)
        assert day[5:].replace("-", "/") in operator.inner_text("#ro-head")
        assert not operator.is_visible("#ro-form") and operator.locator("button.del").count() == 0
        assert grid(operator)[0][1].startswith("张三")
        browser.close()
    actions = [e.action for e in service.store.audit(None) if e.action.startswith("roster_shift")]
    assert actions == ["roster_shift_added", "roster_shift_deleted"]


HOSTILE = {
    "note": '<img src="x" id="pwn-note">审核意见',
    "shift": '<b id="pwn-shift">交班</b><script>window.pwned = 1</script>',
    "person": '<svg id="pwn-person" onload="window.pwned = 2"></svg>王五',
    "reason": '<a id="pwn-reason" href="javascript:alert(1)">开会</a>',
}


def test_text_people_type_is_shown_as_text_on_every_page(tmp_path):
    """Review notes, hand-over notes, roster names and absence reasons are typed by people: the
    console shows them as text on every page that renders them, never as markup (issue 24)."""
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from playwright.sync_api import sync_playwright

    from alerts.store.schema import AbsenceRecord

    service, app = att.alert_service(att.build_actors(), tmp_path)
    app.state.users.add("admin", PASSWORD, "admin", "c", "管理员王五")
    api = TestClient(app)
    csrf = {"X-CSRF-Token": api.post("/api/login", json={"username": "admin", "password": PASSWORD}).json()["csrf"]}
    alert = api.get("/api/alerts").json()[0]
    api.post(f"/api/alerts/{alert['event_id']}/ack", json={}, headers=csrf).raise_for_status()
    review = {"outcome": "confirmed", "note": HOSTILE["note"]}
    api.post(f"/api/alerts/{alert['event_id']}/review", json=review, headers=csrf).raise_for_status()
    api.post("/api/shift-notes", json={"text": HOSTILE["shift"]}, headers=csrf).raise_for_status()
    shift = {
        "hall": "sim-hall",
        "window": "w2",
        "person": HOSTILE["person"],
        "periods": [{"start": "08:00", "end": "18:00"}],
    }
    api.post("/api/rosters", json=shift, headers=csrf).raise_for_status()
    start = att.START  # registered in the console; Kafka is not part of this test, the store is
    service.repos.absences.add(
        AbsenceRecord(id="hostile1", hall_id="sim-hall", window_id="w0", zone_id=None, person=HOSTILE["person"],
                      start=start, end=start + timedelta(hours=1), reason=HOSTILE["reason"], registered_by="admin"),
        "admin",
    )  # fmt: skip
    with serve_app(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768}, timezone_id="Asia/Shanghai")
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#user:has-text('（')")
        page.click(f"tr[data-id='{alert['event_id']}']")
        page.wait_for_selector("#detail :text('审核意见')")
        seen = page.inner_text("#detail")
        # The timeline dates 违规开始 by the violation's start (the footage's March morning), not by
        # when the service received it (today): a review must never look older than its event.
        opened = page.inner_text("#detail .timeline li.event-time >> nth=0")
        assert "违规开始" in opened and "2026/3/2" in opened.split("违规开始")[0] and "服务收到" in opened, opened
        page.click("nav button[data-tab=shifts]")
        page.wait_for_selector("#shift-notes li")
        seen += page.inner_text("#shift-notes")
        page.click("nav button[data-tab=absences]")
        page.wait_for_selector("#absences tr")
        seen += page.inner_text("#absences")
        page.click("nav button[data-tab=rosters]")
        page.wait_for_selector("#ro-body .chip")
        seen += page.inner_text("#ro-body")
        for name in ("pwn-note", "pwn-shift", "pwn-person", "pwn-reason"):
            assert page.query_selector(f"#{name}") is None, name  # no element was made from the text
        assert page.evaluate("window.pwned === undefined")
        for text in (HOSTILE["note"], '<b id="pwn-shift">交班</b>', HOSTILE["reason"]):
            assert text in seen, text  # shown as typed
        assert '<svg id="pwn-person"' in seen
        browser.close()
