"""考勤报表 in a real Chromium at a duty-room screen size (1366x768): the scenario hall's report,
the same numbers as the API, and the Excel download."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests import attendance_scenario as att
from tests.conftest import ROOT
from tests.console_server import serve_app

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
        page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
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
        page.screenshot(path=str(ARTIFACTS / "console-attendance-report.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#r-xlsx")
        path = tmp_path / "report.xlsx"
        download.value.save_as(path)
        browser.close()
    book = load_workbook(io.BytesIO(path.read_bytes()))
    assert [c.value for c in book["窗口"]["D"]][1:] == ["1号窗口", "2号窗口", "3号窗口"]
