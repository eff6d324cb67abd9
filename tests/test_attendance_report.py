"""The attendance report (考勤报表): the scenario's events and minutes through the alerting service,
checked against numbers computed by hand from the actors' paths; CSV/XLSX downloads, region scope,
and the Prometheus metrics."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests import attendance_scenario as att
from tests import scenario

DAY = att.START.date()
PASSWORD = "a-long-password"


def at(seconds: float) -> str:
    return (att.START + timedelta(seconds=seconds)).isoformat()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    actors = att.build_actors()
    service, app = att.alert_service(actors, tmp_path_factory.mktemp("report"))
    app.state.users.add("admin", PASSWORD, "admin", "c")
    app.state.users.add("other", PASSWORD, "operator", "k2")
    return actors, app, service


def client(app, user="admin") -> TestClient:
    c = TestClient(app)
    c.post("/api/login", json={"username": user, "password": PASSWORD}).raise_for_status()
    return c


def in_post(actors, window: int) -> np.ndarray:
    """Frame times (s after the start) with someone at window ``window``'s post."""
    t = np.arange(len(actors[0].positions)) / scenario.FPS
    return t[att._mask(actors, scenario.POSTS[f"p{window}"])]


def first_after(times: np.ndarray, s: float) -> float:
    return float(times[times >= s][0])


def first_gap_after(times: np.ndarray, s: float) -> float:
    """The first frame time after ``s`` nobody is at the post."""
    frames = np.round(times * scenario.FPS).astype(int)
    k = int(round(s * scenario.FPS))
    while k in set(frames.tolist()):
        k += 1
    return k / scenario.FPS


def test_the_report_matches_numbers_computed_from_the_paths(world):
    actors, app, _ = world
    body = client(app).get("/api/reports/attendance", params={"start": DAY.isoformat(), "end": DAY.isoformat()}).json()
    rows = {r["window_id"]: r for r in body["windows"]}
    assert set(rows) == {"w0", "w1", "w2"} and rows["w0"]["window"] == "1号窗口"
    posts = {i: in_post(actors, i) for i in range(3)}
    (p1s, p1e), (p2s, p2e) = att.PERIODS_S
    for i in range(3):
        row = rows[f"w{i}"]
        staffed = att.staffed_seconds(actors, i, (p1s, p1e)) + att.staffed_seconds(actors, i, (p2s, p2e))
        assert row["scheduled_min"] == 11.0 and row["observed_min"] == pytest.approx(11.0, abs=0.01)
        assert row["staffed_min"] == pytest.approx(staffed / 60, abs=0.05)
        assert row["staffed_share"] == pytest.approx(staffed / 660, abs=0.002)
    # Window 0: late in the morning (arrived at the first frame at the post), left early in the afternoon.
    arrival = first_after(posts[0], p1s)
    leave = first_gap_after(posts[0], 750)
    w0 = rows["w0"]
    assert w0["late_min"] == pytest.approx((arrival - p1s) / 60, abs=0.01)
    assert w0["early_min"] == pytest.approx((p2e - leave) / 60, abs=0.01)
    assert [(p["arrival"], p["departure"]) for p in w0["periods"]] == [
        (at(arrival), at(float(posts[0][posts[0] < 480][-1]))),
        (at(360), at(leave)),
    ]
    # Window 1: present from the start, left at about 09:01 (early leave), back during the break.
    leave1 = first_gap_after(posts[1], 120)
    back1 = first_after(posts[1], 400)
    w1 = rows["w1"]
    assert w1["late_min"] == 0 and w1["early_min"] == pytest.approx((p1e - leave1) / 60, abs=0.01)
    # At the post from the footage's first second: nobody saw them arrive (issue 26), so no arrival.
    assert [(p["arrival"], p["departure"], p["present_from_start"]) for p in w1["periods"]] == [
        (None, at(leave1), True),
        (at(back1), at(float(posts[1][-1])), False),
    ]
    # Window 2: gone at lunch, absent all afternoon.
    w2 = rows["w2"]
    assert w2["late_min"] == pytest.approx((p2e - p2s) / 60) and w2["early_min"] == 0
    assert [(p["arrival"], p["departure"], p["present_from_start"]) for p in w2["periods"]] == [
        (None, at(float(posts[2][posts[2] < 480][-1])), True),
        (None, None, False),
    ]
    counts = {w: {k: v for k, v in rows[w]["violations"].items() if v} for w in rows}
    assert counts == {
        "w0": {"empty_post:late_arrival": 1, "empty_post:early_leave": 1},
        "w1": {"empty_post:early_leave": 1},
        "w2": {"empty_post:absent": 1, "citizen_waiting": 1},
    }
    hall = body["halls"][0]
    assert hall["late_min"] == pytest.approx(sum(r["late_min"] for r in rows.values()), abs=0.05)
    assert hall["staffed_share"] == pytest.approx(sum(r["staffed_min"] for r in rows.values()) / 33, abs=0.002)
    by_region = {r["region_id"]: r for r in body["regions"]}
    assert set(by_region) == {"c", "k", "t"}  # k2 has no halls
    assert by_region["c"]["staffed_min"] == hall["staffed_min"] and by_region["t"]["level_name"] == "乡（街道）"


def test_csv_and_xlsx_downloads(world):
    _, app, _ = world
    c = client(app)
    params = {"start": DAY.isoformat(), "end": DAY.isoformat()}
    csv_body = c.get("/api/reports/attendance", params={**params, "format": "csv"})
    assert csv_body.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(csv_body.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["日期", "所属区域", "大厅", "窗口", "值班人员", "时段 到岗/离岗"] and "到岗率" in table[0]
    share = table[1][table[0].index("到岗率")]
    assert share.endswith("%") and 0 <= float(share[:-1]) <= 100, share
    assert [r[3] for r in table[1:]] == ["1号窗口", "2号窗口", "3号窗口"]
    assert [r[4] for r in table[1:]] == ["张三", "李四", ""]
    assert table[2][5].startswith("09:00-09:05 到岗 观测开始时已在岗"), table[2][5]
    xlsx = c.get("/api/reports/attendance", params={**params, "format": "xlsx"})
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["窗口", "大厅", "区域", "区间汇总（窗口）", "区间汇总（大厅）"]
    # Issue 26: a title row saying what and which range and scope, then the headers, columns as wide
    # as their text, shares as percentages.
    windows = book["窗口"]
    title = windows["A1"].value
    assert title.startswith("考勤报表") and DAY.isoformat() in title and "范围：" in title and title.endswith("· 窗口")
    assert [c.value for c in windows[2]][:3] == ["日期", "所属区域", "大厅"] and windows.freeze_panes == "A3"
    assert book["大厅"]["C3"].value == "模拟大厅" and windows.max_row == 5
    column = [c.value for c in windows[2]].index("到岗率") + 1
    cell = windows.cell(row=3, column=column)
    assert cell.number_format == "0.0%" and 0 <= cell.value <= 1, (cell.value, cell.number_format)
    assert windows.column_dimensions["B"].width > 10  # the region path, not Excel's default 8.43


def test_a_range_of_days_is_summed_per_window_and_hall(world):
    """Statistics for a week: every day's rows, and the range's totals per window and per hall."""
    _, app, _ = world
    start = DAY - timedelta(days=6)
    body = (
        client(app).get("/api/reports/attendance", params={"start": start.isoformat(), "end": DAY.isoformat()}).json()
    )
    assert len(body["days"]) == 7 and len(body["windows"]) == 21
    day_rows = {r["window_id"]: r for r in body["windows"] if r["date"] == DAY.isoformat()}
    totals = {r["window_id"]: r for r in body["range"]["windows"]}
    for window, row in totals.items():
        # Only the scenario's day has observations and violations; the other days add scheduled time.
        assert row["staffed_min"] == day_rows[window]["staffed_min"]
        assert row["violations"] == day_rows[window]["violations"]
        assert row["scheduled_min"] == pytest.approx(7 * 11.0)
    hall = body["range"]["halls"][0]
    assert hall["late_min"] == pytest.approx(sum(r["late_min"] for r in totals.values()), abs=0.05)


def test_the_report_is_region_scoped_and_bounded(world):
    _, app, _ = world
    other = client(app, "other")
    body = other.get("/api/reports/attendance", params={"start": DAY.isoformat(), "end": DAY.isoformat()}).json()
    assert body["windows"] == [] and body["halls"] == []
    assert (
        other.get(
            "/api/reports/attendance", params={"start": DAY.isoformat(), "end": DAY.isoformat(), "region": "t"}
        ).status_code
        == 404
    )
    admin = client(app)
    too_long = {"start": DAY.isoformat(), "end": (DAY + timedelta(days=92)).isoformat()}
    assert admin.get("/api/reports/attendance", params=too_long).status_code == 422
    assert admin.get("/api/reports/attendance", params={"start": "2026-02-30", "end": "x"}).status_code == 422


def test_alerts_and_the_report_name_who_was_on_duty(world):
    _, app, _ = world
    c = client(app)
    alerts = c.get("/api/alerts").json()
    on_duty = {(a["window_id"], a["reason"]): a["on_duty"] for a in alerts}
    assert on_duty[("w0", "late_arrival")] == ["张三"]
    assert on_duty[("w1", "early_leave")] == ["李四"]  # 09:01, inside 李四's shift
    assert on_duty[("w2", "absent")] == []  # nobody rostered at window 3
    body = c.get("/api/reports/attendance", params={"start": DAY.isoformat(), "end": DAY.isoformat()}).json()
    assert {r["window_id"]: r["on_duty"] for r in body["windows"]} == {"w0": ["张三"], "w1": ["李四"], "w2": []}


def test_a_roster_for_an_unknown_window_names_the_key():
    from configs.loader import ConfigError, parse_config

    raw = att.config().model_dump(mode="json", exclude_none=True)
    raw["rosters"] = [{"hall": "sim-hall", "window": "w9", "person": "王五"}]
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert "rosters[0].window" in str(error.value) and "w9" in str(error.value)


def test_citizen_waiting_is_owned_one_level_up_from_the_start(world):
    _, _, service = world
    waiting = [a for a in service.store.list() if a.type == "citizen_waiting"]
    empty = [a for a in service.store.list() if a.type == "empty_post"]
    assert waiting and all(a.escalated_to == "k" for a in waiting)
    assert empty and all(a.escalated_to is None for a in empty)


def test_metrics_for_attendance_and_queues(world, monkeypatch):
    actors, app, service = world
    import alerts.metrics as metrics

    monkeypatch.setattr(metrics, "_today", lambda cfg: DAY)
    service.metrics.queues._cache = None
    service.metrics.queues.now = lambda: att.START + timedelta(minutes=15)
    text = client(app).get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith('hallwatch_attendance_staffed_ratio{level="township"'))
    staffed = sum(att.staffed_seconds(actors, i, p) for i in range(3) for p in att.PERIODS_S)
    assert float(line.split()[-1]) == pytest.approx(staffed / 1980, abs=0.002)
    waits = sorted(att.expected_waits(actors).values())
    p50 = next(x for x in text.splitlines() if x.startswith("hallwatch_queue_wait_seconds") and 'quantile="0.5"' in x)
    assert float(p50.split()[-1]) == pytest.approx(float(np.quantile(waits, 0.5)), abs=0.3)
    assert any(x.startswith("hallwatch_people_waiting{") for x in text.splitlines())


FORMULAS = ['=HYPERLINK("http://example.invalid/x","点我")', "@SUM(1+1)", "+1+2", "-2+3"]


def test_names_typed_by_people_stay_text_in_the_csv_and_xlsx(tmp_path):
    """A roster person named =HYPERLINK(...) or @SUM(...) reached the attendance CSV unchanged and
    the XLSX as a live formula (issue 24): now CSV cells that start like a formula are prefixed with
    an apostrophe and XLSX cells are strings."""
    from openpyxl import load_workbook

    _, app = att.alert_service(att.build_actors(), tmp_path)
    app.state.users.add("admin", PASSWORD, "admin", "c")
    c = client(app)
    csrf = {"X-CSRF-Token": c.get("/api/me").json()["csrf"]}
    names = " ".join(FORMULAS)
    shift = {"hall": "sim-hall", "window": "w2", "person": names, "periods": [{"start": "08:00", "end": "18:00"}]}
    assert c.post("/api/rosters", json=shift, headers=csrf).status_code == 201
    for formula in FORMULAS:  # each alone too: the cell starts with it
        one = {**shift, "window": "w2", "person": formula, "dates": [DAY.isoformat()]}
        assert c.post("/api/rosters", json=one, headers=csrf).status_code == 201
    params = {"start": DAY.isoformat(), "end": DAY.isoformat()}
    table = list(
        csv.reader(
            io.StringIO(c.get("/api/reports/attendance", params={**params, "format": "csv"}).text.lstrip("\ufeff"))
        )
    )
    duty = next(r[4] for r in table[1:] if r[3] == "3号窗口")
    assert duty.startswith("'") and all(f in duty for f in FORMULAS), duty
    book = load_workbook(io.BytesIO(c.get("/api/reports/attendance", params={**params, "format": "xlsx"}).content))
    sheet = book["窗口"]
    cell = next(row[4] for row in sheet.iter_rows(min_row=3) if row[3].value == "3号窗口")
    assert cell.data_type == "s" and all(f in cell.value for f in FORMULAS)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_a_dismissed_alert_accuses_no_one(tmp_path):
    """考勤报表 (JSON, CSV, XLSX) counted alerts the officer dismissed (不予认定): the person on duty
    was charged for false alarms (issue 25). A dismissed alert is left out, minutes included; one
    not reviewed yet is counted and shown apart (待复核)."""
    service, app = att.alert_service(att.build_actors(), tmp_path)
    app.state.users.add("admin", PASSWORD, "admin", "c")
    c = client(app)
    csrf = {"X-CSRF-Token": c.get("/api/me").json()["csrf"]}
    params = {"start": DAY.isoformat(), "end": DAY.isoformat()}

    def window(body: dict, window_id: str) -> dict:
        return next(r for r in body["windows"] if r["window_id"] == window_id)

    before = window(c.get("/api/reports/attendance", params=params).json(), "w0")
    assert before["violations"]["empty_post:late_arrival"] == 1 and before["late_min"] > 0
    assert before["pending_review"] == sum(before["violations"].values())  # nothing reviewed yet
    late = next(a for a in c.get("/api/alerts").json() if a["window_id"] == "w0" and a["reason"] == "late_arrival")
    c.post(f"/api/alerts/{late['event_id']}/ack", json={}, headers=csrf).raise_for_status()
    c.post(
        f"/api/alerts/{late['event_id']}/review",
        json={"outcome": "dismissed", "note": "误报：工作人员在岗，被遮挡"},
        headers=csrf,
    ).raise_for_status()
    after_body = c.get("/api/reports/attendance", params=params).json()
    after = window(after_body, "w0")
    assert after["violations"]["empty_post:late_arrival"] == 0 and after["late_min"] == 0
    assert after["pending_review"] == before["pending_review"] - 1
    hall = next(h for h in after_body["halls"] if h["hall_id"] == "sim-hall")
    assert hall["violations"]["empty_post:late_arrival"] == 0
    table = list(csv.reader(io.StringIO(c.get("/api/reports/attendance", params={**params, "format": "csv"}).text)))
    assert table[0][-5:] == [
        "其中待复核(次)",
        "办件量(叫号系统)",
        "平均排队等候(摄像头,分钟)",
        "平均等候(叫号,分钟)",
        "差评数",
    ]
    assert 'hallwatch_reviews_total{outcome="dismissed",type="empty_post"} 1.0' in c.get("/metrics").text


def test_alerts_by_person_on_duty_with_the_total(world):
    """GET /api/alerts?person= was ignored, and the list had no total (it stopped at 500 silently):
    now it filters by the person the roster had on duty, and X-Total-Count says how many match."""
    _, app, _ = world
    c = client(app)
    everything = c.get("/api/alerts", params={"limit": 1000})
    total = int(everything.headers["x-total-count"])
    assert total == len(everything.json()) > 2
    page = c.get("/api/alerts", params={"limit": 2, "offset": 1})
    assert int(page.headers["x-total-count"]) == total and [a["event_id"] for a in page.json()] == [
        a["event_id"] for a in everything.json()[1:3]
    ]
    zhang = c.get("/api/alerts", params={"person": "张三"})
    assert zhang.json() and all("张三" in a["on_duty"] for a in zhang.json())
    assert int(zhang.headers["x-total-count"]) == sum("张三" in a["on_duty"] for a in everything.json())
    assert c.get("/api/alerts", params={"person": "无此人"}).json() == []


def test_window_rows_add_up_to_the_hall_with_a_hall_level_row(tmp_path):
    """Queue crowding has no window (issue 26): the window rows of a hall did not add up to the
    hall's row; a row 大厅公共区域 carries what belongs to no window, in the JSON, the CSV and the
    range's totals."""
    from tests.case_fixtures import PASSWORD as CASE_PASSWORD
    from tests.case_fixtures import T, case_world, scenario

    app, service = case_world(tmp_path)
    scenario(service)  # a5: queue crowding in hall h2, with no window, on the second Monday
    c = TestClient(app)
    c.post("/api/login", json={"username": "admin", "password": CASE_PASSWORD}).raise_for_status()
    params = {"start": T.date().isoformat(), "end": (T.date() + timedelta(days=7)).isoformat()}
    body = c.get("/api/reports/attendance", params=params).json()
    for hall in body["halls"]:
        rows = [w for w in body["windows"] if w["hall_id"] == hall["hall_id"] and w["date"] == hall["date"]]
        for key, count in hall["violations"].items():
            assert sum(w["violations"][key] for w in rows) == count, (hall, rows)
        assert sum(w["pending_review"] for w in rows) == hall["pending_review"]
    (hall_level,) = [w for w in body["windows"] if w["window_id"] is None]
    assert hall_level["hall_id"] == "h2" and hall_level["window"] == "（大厅公共区域）"
    assert {k: v for k, v in hall_level["violations"].items() if v} == {"queue_crowding": 1}
    (range_level,) = [w for w in body["range"]["windows"] if w["window_id"] is None]
    assert range_level["violations"]["queue_crowding"] == 1
    table = list(
        csv.reader(
            io.StringIO(c.get("/api/reports/attendance", params={**params, "format": "csv"}).text.lstrip("\ufeff"))
        )
    )
    assert any(r[3] == "（大厅公共区域）" for r in table[1:])


def test_the_cameras_queue_wait_stands_beside_the_tickets(world):
    """Issue 28: where a camera measures the queue (queue area to the window's service area), its
    mean wait per window is in the report beside the ticket system's (none here: no tickets)."""
    actors, app, _ = world
    body = client(app).get("/api/reports/attendance", params={"start": DAY.isoformat(), "end": DAY.isoformat()}).json()
    rows = {r["window_id"]: r for r in body["windows"]}
    expected = att.expected_waits(actors)
    assert expected
    for window, seconds in expected.items():
        assert rows[window]["camera_wait_min"] == pytest.approx(seconds / 60, abs=0.02), (window, rows[window])
        assert rows[window]["camera_waits"] == 1 and rows[window]["ticket_wait_min"] is None
    hall = body["halls"][0]
    assert hall["camera_waits"] == len(expected)
