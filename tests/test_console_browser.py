"""The console in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright): log in, see an
alert appear live after a violation is produced to the real Kafka broker, open it, play the clip,
acknowledge; review as a discipline officer and export the case. Screenshots of the main pages
are saved under tests/artifacts/ (or $HALLWATCH_ARTIFACTS)."""

from __future__ import annotations

import json
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
from kafka import KafkaProducer

from alerts.api import create_app
from alerts.service import AlertService
from ingest.analysis import CameraAnalysis
from streams.broker import free_port
from streams.wire import encode
from tests.conftest import ROOT
from tests.evidence_fixtures import config as evidence_config
from tests.evidence_fixtures import frames, write_source
from tests.helpers import wait_in_page

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium not installed"),
]
ARTIFACTS = Path(os.environ.get("HALLWATCH_ARTIFACTS", ROOT / "tests" / "artifacts"))
PASSWORD = "console test password"


def test_operator_and_officer_in_the_browser(kafka_broker, tmp_path):
    import uvicorn
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    synthetic = list(frames(40, crowded=(10, 30)))
    base = evidence_config(tmp_path, source=str(write_source(synthetic, tmp_path / "camera.mp4")))
    cfg = base.model_copy(
        update={
            "kafka": base.kafka.model_copy(update={"bootstrap_servers": kafka_broker.bootstrap}),
            "alerts": base.alerts.model_copy(update={"group_id": f"browser-{free_port()}"}),
        }
    )
    # A real violation with real evidence: the pipeline's analysis and recorder on synthetic frames.
    messages, updates = [], []
    analysis = CameraAnalysis(
        cfg,
        cfg.cameras[0],
        None,
        emit=lambda v: messages.append(encode(v)),
        emit_update=lambda v: updates.append(encode(v)),
    )
    for frame in synthetic:
        analysis.process(frame)
    analysis.finish()
    opened = next(m for m in messages if m["status"] == "open")
    with_evidence = [u for u in updates if u["event_id"] == opened["event_id"]][-1]

    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'alerts.db'}")
    service.start()
    port = free_port()
    app = create_app(service)
    app.state.users.add("zhang", PASSWORD, "operator", "c", "值班员张三")
    app.state.users.add("li", PASSWORD, "discipline_officer", "c", "纪检员李四")
    app.state.users.add("wang", PASSWORD, "admin", "c", "管理员王五")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
            refused: list[str] = []  # whatever the Content-Security-Policy blocked (an inline style or handler)
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

            def login(name: str) -> None:
                page.goto(f"{url}/")
                assert page.url.endswith("/login")
                page.fill("input[name=username]", name)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#user:has-text('（')")

            login("zhang")
            page.screenshot(path=str(ARTIFACTS / "console-empty.png"))
            producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
            for message in (opened, with_evidence):
                producer.send("hallwatch.violations", key=b"h1", value=json.dumps(message).encode())
            producer.flush()
            deadline = time.monotonic() + 60
            while service.store.get(opened["event_id"]) is None and time.monotonic() < deadline:
                time.sleep(0.02)
            stored_at = time.monotonic()
            page.wait_for_selector(f"tr[data-id='{opened['event_id']}']", timeout=10000)
            visible_after = time.monotonic() - stored_at
            assert visible_after < 1.0, f"alert appeared {visible_after:.2f} s after it was stored"
            assert page.is_visible("#banner")  # the visual cue for a new alert
            # The badge counts every unacknowledged alert in the user's scope (asked of the server).
            page.wait_for_selector("#unacked:has-text('待确认 1')", timeout=5000)
            assert page.is_visible(f"#alerts input.pick[data-id='{opened['event_id']}']")  # for bulk acknowledgement
            page.screenshot(path=str(ARTIFACTS / "console-live-alert.png"))

            page.click(f"tr[data-id='{opened['event_id']}']")
            page.wait_for_selector("text=证据完整性校验通过")
            wait_in_page(
                page,
                "document.getElementById('clip') && document.getElementById('clip').readyState >= 2",
                timeout_ms=20000,
            )
            duration = page.evaluate("document.getElementById('clip').duration")
            assert abs(duration - 10.0) <= 0.3
            # The raw clip plays with the overlay data drawn over it: at 5 s into the clip (11 s,
            # crowded) both people are boxed in red, where the rule saw them.
            page.evaluate("document.getElementById('clip').currentTime = 5")
            wait_in_page(page, "document.getElementById('clip-overlay').dataset.t === '5'", timeout_ms=10000)
            assert page.get_attribute("#clip-overlay", "data-people") == "2"
            left_edge = page.evaluate("""() => {  // the most opaque pixel within 3 px of the box's left edge
                const c = document.getElementById('clip-overlay'), s = c.width / 640;
                const d = c.getContext('2d').getImageData(Math.round(200 * s) - 3, Math.round(330 * s), 7, 1).data;
                let best = [0, 0, 0, 0];
                for (let i = 0; i < d.length; i += 4) if (d[i + 3] > best[3]) best = Array.from(d.slice(i, i + 4));
                return best;
            }""")
            assert left_edge[0] > 200 and left_edge[1] < 60 and left_edge[3] > 200, left_edge  # red, opaque
            page.locator("#clip").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "console-clip-overlay.png"))
            page.set_viewport_size({"width": 1366, "height": 768})  # a duty-room screen: the canvas follows
            page.locator("#clip").scroll_into_view_if_needed()
            wait_in_page(
                page, "document.getElementById('clip-overlay').width === document.getElementById('clip').clientWidth"
            )
            assert page.get_attribute("#clip-overlay", "data-people") == "2"
            # Beside the open detail, every header and cell of the list stays on one line (时长, not 时/长).
            lines = page.eval_on_selector_all(
                "table:has(#alerts) th, #alerts td",
                """cells => cells.map(c => {
                const range = document.createRange(); range.selectNodeContents(c);
                const tops = Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => r.top).sort((a, b) => a - b);
                return [c.textContent.trim(), tops.filter((t, i) => i === 0 || t - tops[i - 1] > 8).length];
            })""",
            )
            assert all(n <= 1 for _, n in lines), lines
            page.screenshot(path=str(ARTIFACTS / "console-clip-overlay-1366.png"))
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.uncheck("#overlay-on")
            assert page.get_attribute("#clip-overlay", "data-people") == "0"  # the raw picture alone
            page.check("#overlay-on")
            page.screenshot(path=str(ARTIFACTS / "console-alert-detail.png"))
            page.fill("#ack-note", "已电话提醒窗口负责人")
            page.click("#ack")
            page.wait_for_selector("#detail .badge.acknowledged")
            page.wait_for_selector("#unacked:has-text('待确认 0')")
            timeline = page.inner_text("#detail .timeline")
            assert "值班员确认" in timeline and "识别系统" in timeline and "pipeline" not in timeline
            assert timeline.count("查看证据") == 1, timeline  # each opening is audited, folded into one line
            assert "违规涉及人员" in page.inner_text("#detail .legend")

            page.click("nav button[data-tab=cameras]")
            page.wait_for_selector("#coverage li")
            assert "选择左侧告警" in page.inner_text("#detail")  # the previous tab's alert is closed
            wait_in_page(
                page, "document.querySelector('#wall img') && document.querySelector('#wall img').naturalWidth > 0"
            )
            assert page.eval_on_selector("#wall svg polygon", "p => p.getAttribute('points')")  # zones over the picture
            top = page.eval_on_selector_all(
                ".cov-top .cov-bar", "bars => bars.map(b => b.innerText.replace(/\\s+/g, ' '))"
            )
            assert len(top) == 3 and top[0].startswith("市级") and all("个大厅" in b or "无大厅" in b for b in top), top
            both_sizes(page, "console-cameras-coverage")
            page.click("nav button[data-tab=absences]")
            page.fill("input[name=start]", "2026-03-02T10:00")
            page.fill("input[name=end]", "2026-03-02T11:00")
            page.fill("input[name=reason]", "到区政务服务中心培训")
            page.click("#absence button[type=submit]")
            page.wait_for_selector("#absences td:has-text('到区政务服务中心培训')")
            both_sizes(page, "console-absences")
            page.click("nav button[data-tab=shifts]")
            page.fill("#shift-text", "排队区摄像头告警已电话核实，交下一班跟进")
            page.click("#shift-form button[type=submit]")
            page.wait_for_selector("#shift-notes li.shift-note:has-text('交下一班跟进')")
            assert "待确认 0 条" in page.inner_text("#shift-notes")  # the acknowledged alert is no longer waiting
            both_sizes(page, "console-shift-notes")
            page.click("#logout")
            page.wait_for_url(f"{url}/login")

            login("li")
            page.click("nav button[data-tab=review]")
            page.click(f"#review tr[data-id='{opened['event_id']}']")
            page.wait_for_selector("#review-note")
            page.click("#confirm")  # without the required note
            page.wait_for_selector("#action-msg:has-text('复核意见必填')")
            page.fill("#review-note", "视频显示两人间距不足一米，认定违规")
            page.click("#confirm")
            page.wait_for_selector("#detail .badge.reviewed")
            both_sizes(page, "console-review")
            with page.expect_download() as download:
                page.click("#export button")
            case = tmp_path / "case.zip"
            download.value.save_as(case)
            assert not page.is_visible("nav button[data-tab=install]")  # administrators only
            page.click("#logout")
            page.wait_for_url(f"{url}/login")

            login("wang")  # an installer: calibrate on the live snapshot, see the grid, generate the config
            page.click("nav button[data-tab=install]")
            wait_in_page(page, "document.getElementById('i-shot').naturalWidth > 0")
            page.check("input[name=i-mode][value=calib]")
            box = page.locator("#i-shot").bounding_box()
            for (fx, fy), (u, v) in zip(
                [(0, 0), (6, 0), (6, 3), (0, 3)], [(0.2, 0.6), (0.8, 0.6), (0.9, 0.9), (0.1, 0.9)]
            ):
                page.fill("#i-fx", str(fx))
                page.fill("#i-fy", str(fy))
                page.mouse.click(box["x"] + u * box["width"], box["y"] + v * box["height"])
            page.click("#i-grid")
            page.wait_for_selector("#i-msg:has-text('各标定点误差')")
            assert page.eval_on_selector_all("#i-svg polyline", "ls => ls.length") > 3  # the 1 m grid
            # The people the pipeline saw on the snapshot, with floor positions under the drawn calibration.
            assert page.eval_on_selector_all("#i-svg rect.person", "rs => rs.length") == 2
            labels = page.eval_on_selector_all("#i-svg text.person-floor", "ts => ts.map(t => t.textContent)")
            assert len(labels) == 2 and all(label.endswith(" m") for label in labels), labels
            page.set_viewport_size({"width": 1366, "height": 768})
            page.screenshot(path=str(ARTIFACTS / "console-install-1366.png"))
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.click("#i-section")
            page.wait_for_selector("#i-msg:has-text('配置已通过校验')")
            assert "calibration:" in page.input_value("#i-yaml")
            with page.expect_download() as saved:
                page.click("#i-save")
            assert saved.value.suggested_filename == f"camera-{cfg.cameras[0].id}.yaml"
            assert "calibration:" in Path(saved.value.path()).read_text()
            page.screenshot(path=str(ARTIFACTS / "console-install.png"))
            assert refused == [], refused
            browser.close()
        names = set(zipfile.ZipFile(case).namelist())
        assert {
            "record/event.json",
            "record/audit.json",
            "record/manifest.json",
            "record/督办单.pdf",
            "evidence/manifest.json",
            "evidence/open_raw.mp4",
            "evidence/open_overlay.json",
            "annotated/open_annotated.mp4",
            "annotated/README.txt",
        } <= names
        actions = [e.action for e in service.store.audit(opened["event_id"])]
        assert {"acknowledge", "review", "evidence_view", "export"} <= set(actions)
        assert service.store.get(opened["event_id"]).review_outcome == "confirmed"
    finally:
        server.should_exit = True
        service.stop()


def both_sizes(page, name: str) -> None:
    """Screenshots at 1920x1080 and at a duty-room 1366x768, where the header must stay one line."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size({"width": 1366, "height": 768})
    boxes = page.eval_on_selector_all(
        "header h1, nav button, #logout",
        "es => es.filter(e => e.offsetParent).map(e => "
        "[e.getClientRects().length, e.getBoundingClientRect().top + e.getBoundingClientRect()"
        ".height / 2])",
    )
    assert all(n == 1 for n, _ in boxes) and max(c for _, c in boxes) - min(c for _, c in boxes) <= 6, (name, boxes)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})
