"""Every refusal a console user can meet reads in Chinese, by field and kind (issue 26): the real
service refuses real requests (forms, the installer, the supervision steps, the reports), and the
console's own alerts/console/errors.js turns each answer into the words shown, under Node."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest

from tests.case_fixtures import case_world, login, scenario
from tests.conftest import ROOT
from tests.helpers import TZ

ERRORS_JS = ROOT / "alerts" / "console" / "errors.js"
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed (scripts/setup.sh)")


def shown(answers: list[tuple[int, object]]) -> list[str]:
    """What errors.js makes of each (status, body)."""
    script = (
        f"import {{errorText}} from {json.dumps(ERRORS_JS.as_uri())};\n"
        "let input = ''; process.stdin.on('data', (d) => input += d);\n"
        "process.stdin.on('end', () => console.log(JSON.stringify(JSON.parse(input).map(([s, b]) => errorText(s, b)))));"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(answers),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def later(**delta) -> str:
    return (datetime.now(TZ) + timedelta(**delta)).isoformat(timespec="seconds")


SQUARE = [[10, 10], [200, 10], [200, 200], [10, 200]]


@needs_node
def test_every_refusal_reads_in_chinese_naming_the_field(tmp_path):
    app, service = case_world(tmp_path)
    scenario(service)
    admin, admin_csrf = login(app, "admin")
    officer, officer_csrf = login(app, "officer")
    operator, operator_csrf = login(app, "op")
    camera = service.cfg.cameras[0].id
    shift = {"hall": "h1", "window": "w1", "person": "李强", "periods": [{"start": "08:00", "end": "12:00"}]}
    absence = {"hall_id": "h1", "window_id": "w1", "reason": "外出办事", "start": later(), "end": later(hours=1)}
    attempts = {
        # 排班
        "shift: person blank": (admin.post("/api/rosters", json={**shift, "person": " "}, headers=admin_csrf), "人员"),
        "shift: person bidi": (
            admin.post("/api/rosters", json={**shift, "person": "\u202e三张"}, headers=admin_csrf),
            "人员",
        ),
        "shift: period order": (
            admin.post(
                "/api/rosters", json={**shift, "periods": [{"start": "12:00", "end": "08:00"}]}, headers=admin_csrf
            ),
            "时段",
        ),
        "shift: not HH:MM": (
            admin.post(
                "/api/rosters", json={**shift, "periods": [{"start": "8点", "end": "12:00"}]}, headers=admin_csrf
            ),
            "时段",
        ),
        "shift: unknown window": (
            admin.post("/api/rosters", json={**shift, "window": "w9"}, headers=admin_csrf),
            "窗口",
        ),
        "shift: dates": (
            admin.post(
                "/api/rosters",
                json={**shift, "valid_from": "2026-03-10", "valid_until": "2026-03-01"},
                headers=admin_csrf,
            ),
            "",
        ),
        # 去向公开
        "absence: naive time": (
            operator.post("/api/absences", json={**absence, "start": "2026-03-02T09:00"}, headers=operator_csrf),
            "开始时间",
        ),
        "absence: end first": (
            operator.post(
                "/api/absences", json={**absence, "start": later(hours=2), "end": later(hours=1)}, headers=operator_csrf
            ),
            "",
        ),
        "absence: no window": (
            operator.post("/api/absences", json={**absence, "window_id": None}, headers=operator_csrf),
            "窗口",
        ),
        "absence: reason missing": (
            operator.post(
                "/api/absences", json={k: v for k, v in absence.items() if k != "reason"}, headers=operator_csrf
            ),
            "事由",
        ),
        "absence: officer may not": (officer.post("/api/absences", json=absence, headers=officer_csrf), ""),
        # 复核、督办
        "review: no note": (
            officer.post("/api/alerts/a1/review", json={"outcome": "confirmed", "note": ""}, headers=officer_csrf),
            "说明",
        ),
        "review: bad outcome": (
            officer.post("/api/alerts/a1/review", json={"outcome": "maybe", "note": "x"}, headers=officer_csrf),
            "复核结论",
        ),
        "dispatch: deadline past": (
            officer.post(
                "/api/alerts/a2/dispatch",
                json={"requirement": "立即整改", "due_at": later(days=-1)},
                headers=officer_csrf,
            ),
            "整改时限",
        ),
        "rectify: wrong state": (
            admin.post("/api/alerts/a1/rectify", json={"note": "已整改"}, headers=admin_csrf),
            "",
        ),
        "unknown alert": (officer.post("/api/alerts/nope/ack", json={}, headers=officer_csrf), ""),
        # 报表、统计
        "report: range": (
            admin.get("/api/reports/attendance", params={"start": "2026-03-10", "end": "2026-03-01"}),
            "",
        ),
        "report: year": (admin.get("/api/reports/attendance", params={"start": "1999-01-01", "end": "1999-01-02"}), ""),
        "stats: not a date": (admin.get("/api/stats", params={"start": "三月", "end": "2026-03-01"}), "开始时间"),
        # 安装调试
        "install: three calibration points": (
            admin.post(
                f"/api/install/{camera}/calibration-preview",
                json={"image": SQUARE[:3], "floor": [[0, 0], [1, 0], [1, 1]]},
                headers=admin_csrf,
            ),
            "标定点",
        ),
        "install: collinear": (
            admin.post(
                f"/api/install/{camera}/calibration-preview",
                json={"image": [[0, 0], [10, 0], [20, 0], [30, 0]], "floor": [[0, 0], [1, 0], [2, 0], [3, 0]]},
                headers=admin_csrf,
            ),
            "标定点",
        ),
        "install: post without window": (
            admin.post(
                f"/api/install/{camera}/section",
                json={"zones": [{"id": "p", "kind": "post", "polygon": SQUARE}]},
                headers=admin_csrf,
            ),
            "区域",
        ),
        "install: two points": (
            admin.post(
                f"/api/install/{camera}/section",
                json={"zones": [{"id": "p", "kind": "queue_area", "polygon": SQUARE[:2]}]},
                headers=admin_csrf,
            ),
            "区域顶点",
        ),
        "install: unknown window": (
            admin.post(
                f"/api/install/{camera}/section",
                json={"zones": [{"id": "p", "kind": "post", "window": "w9", "polygon": SQUARE}]},
                headers=admin_csrf,
            ),
            "窗口",
        ),
        "install: zone name with a quote": (
            admin.post(
                f"/api/install/{camera}/section",
                json={"zones": [{"id": "p", "name": '1"号', "kind": "queue_area", "polygon": SQUARE}]},
                headers=admin_csrf,
            ),
            "名称",
        ),
        # 交接班
        "shift note empty": (operator.post("/api/shift-notes", json={"text": ""}, headers=operator_csrf), "交接内容"),
    }
    answers = []
    for name, (response, _) in attempts.items():
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        answers.append((response.status_code, response.json()))
    for (name, (response, field)), text in zip(attempts.items(), shown(answers), strict=True):
        assert text and re.search(r"[\u4e00-\u9fff]", text), (name, text)
        assert not re.search(r"[A-Za-z]{2,}", text.replace("JSON", "")), (name, response.text, text)
        assert field in text, (name, response.text, text)
        assert len(text.split("；")) == len(set(text.split("；"))), (name, text)  # each problem once


def test_every_kind_the_service_names_is_translated():
    """The stable kinds of the service's own checks (``invalid``, ``unprocessable``, the lifecycle's
    ``RequestInvalid``, the config's ``Issue``) all have words in errors.js."""
    translated = set(re.findall(r"^\s+(\w+): ", ERRORS_JS.read_text(encoding="utf-8"), re.M)) | set(
        re.findall(r"[ ,]\s*(\w+): [\"(]", ERRORS_JS.read_text(encoding="utf-8"))
    )
    used: set[str] = set()
    for source in [*ROOT.glob("alerts/**/*.py"), *ROOT.glob("configs/*.py"), *ROOT.glob("domain/*.py")]:
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(r"\binvalid\(\s*\"(\w+)\"", text))
        used |= set(re.findall(r"unprocessable\([^\n]*?,\s*\"(\w+)\"\s*\)", text))
        used |= set(re.findall(r"RequestInvalid\(\"\w+\", \"(\w+)\"", text))
        used |= set(re.findall(r"Issue\([^\n]*\"(\w+)\"\)", text))
        used |= set(re.findall(r"^\s+\"(\w+)\",\n\s+\)", text, re.M)) & {"calibration_needed", "outside_frame"}
    assert len(used) > 25, used
    assert used - translated == set()
