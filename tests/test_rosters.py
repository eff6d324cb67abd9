"""Window rosters (排班) in the console's API: the week per window from the config's shifts and the
console's, region scoping, admin-only changes (audited), validation, and the person on duty named
in alerts and the attendance report as soon as a shift is added or removed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from alerts.api import create_app
from alerts.service import AlertService
from configs.loader import parse_config
from tests.alert_fixtures import registry, violation
from tests.helpers import add_users

PASSWORD = "correct horse battery"
USERS = {"admin_city": ("admin", "city"), "admin_county2": ("admin", "county2"), "op_town": ("operator", "town")}
MONDAY = "2026-03-02"  # the fixtures' alert opens then, 09:00 local, at h1 / w1


@pytest.fixture
def world(tmp_path):
    data = registry("127.0.0.1:1", "g", alerts={"secure_cookies": False})
    data["rosters"] = [
        {
            "hall": "h1",
            "window": "w2",
            "person": "赵六",
            "days": ["mon", "tue"],
            "periods": [{"start": "08:30", "end": "12:00"}],
        }
    ]
    cfg = parse_config(data)
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    add_users(app, USERS, PASSWORD)
    service.store.apply_violations([violation("a")])
    return app, service


def login(app, name: str) -> tuple[TestClient, dict]:
    client = TestClient(app)
    me = client.post("/api/login", json={"username": name, "password": PASSWORD}).json()
    return client, {"X-CSRF-Token": me["csrf"]}


SHIFT = {
    "hall": "h1",
    "window": "w1",
    "person": "张三",
    "days": ["mon", "wed"],
    "periods": [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}],
}


def cells(week: dict, hall: str, window: str) -> list[list[dict]]:
    h = next(h for h in week["halls"] if h["hall_id"] == hall)
    return next(w for w in h["windows"] if w["window_id"] == window)["days"]


def test_the_week_shows_config_and_console_shifts_and_alerts_name_the_person(world):
    app, service = world
    client, csrf = login(app, "admin_city")
    assert client.get("/api/alerts/a").json()["on_duty"] == []
    created = client.post("/api/rosters", json=SHIFT, headers=csrf)
    assert created.status_code == 201, created.text
    shift_id = created.json()["id"]

    week = client.get("/api/rosters", params={"day": "2026-03-04"}).json()  # a Wednesday
    assert week["week"][0] == MONDAY and week["week"][6] == "2026-03-08"
    w1 = cells(week, "h1", "w1")
    assert [[s["person"] for s in day] for day in w1] == [["张三"], [], ["张三"], [], [], [], []]
    assert w1[0][0]["source"] == "console" and w1[0][0]["id"] == shift_id and w1[0][0]["created_by"] == "admin_city"
    assert [p["start"] + "-" + p["end"] for p in w1[0][0]["periods"]] == ["08:30-12:00", "13:30-17:30"]
    w2 = cells(week, "h1", "w2")
    assert [[s["person"] for s in day] for day in w2][:3] == [["赵六"], ["赵六"], []]
    assert w2[0][0]["source"] == "config" and w2[0][0]["id"] is None
    h1 = next(h for h in week["halls"] if h["hall_id"] == "h1")
    assert h1["hall"] == "莲花街道便民服务中心" and h1["region_names"] == ["资阳市", "雁江区", "莲花街道"]

    # The alert at h1/w1 opened Monday 09:00: the new shift names the person at once.
    assert client.get("/api/alerts/a").json()["on_duty"] == ["张三"]
    assert client.get("/api/alerts").json()[0]["on_duty"] == ["张三"]
    report = client.get("/api/reports/attendance", params={"start": MONDAY, "end": MONDAY}).json()
    assert any(r["hall_id"] == "h1" and r["window_id"] == "w1" and r["on_duty"] == ["张三"] for r in report["windows"])

    assert client.delete(f"/api/rosters/{shift_id}", headers=csrf).status_code == 204
    assert client.get("/api/alerts/a").json()["on_duty"] == []
    assert all(day == [] for day in cells(client.get("/api/rosters", params={"day": MONDAY}).json(), "h1", "w1"))
    actions = [
        (e.action, e.actor, e.details["roster_shift_id"])
        for e in service.store.audit(None)
        if e.action.startswith("roster_shift")
    ]
    assert actions == [("roster_shift_added", "admin_city", shift_id), ("roster_shift_deleted", "admin_city", shift_id)]


def test_scoping_and_roles(world):
    app, _ = world
    admin, csrf = login(app, "admin_city")
    shift_id = admin.post("/api/rosters", json=SHIFT, headers=csrf).json()["id"]

    other, other_csrf = login(app, "admin_county2")  # another county: h1 does not exist for them
    week = other.get("/api/rosters", params={"day": MONDAY}).json()
    assert [h["hall_id"] for h in week["halls"]] == ["h2"]
    assert other.get("/api/rosters", params={"hall": "h1"}).status_code == 404
    assert other.get("/api/rosters", params={"region": "town"}).status_code == 404
    assert other.post("/api/rosters", json=SHIFT, headers=other_csrf).status_code == 404
    assert other.delete(f"/api/rosters/{shift_id}", headers=other_csrf).status_code == 404

    op, op_csrf = login(app, "op_town")  # operators read the roster, only admins change it
    assert [h["hall_id"] for h in op.get("/api/rosters", params={"day": MONDAY}).json()["halls"]] == ["h1"]
    assert op.post("/api/rosters", json=SHIFT, headers=op_csrf).status_code == 403
    assert op.delete(f"/api/rosters/{shift_id}", headers=op_csrf).status_code == 403
    assert admin.post("/api/rosters", json=SHIFT).status_code == 403  # no CSRF token
    assert admin.get("/api/rosters", params={"day": MONDAY, "region": "county"}).json()["halls"][-1]["hall_id"] == "h1"


@pytest.mark.parametrize(
    "change, where",
    [
        ({"window": "w9"}, "window"),
        ({"periods": [{"start": "12:00", "end": "08:30"}]}, "periods"),
        ({"periods": []}, "periods"),
        ({"person": ""}, "person"),
        ({"person": "   "}, "person"),
        ({"person": "张\n三"}, "person"),
        ({"person": "\u202e三张"}, "person"),
        ({"person": "x" * 65}, "person"),
        ({"days": ["someday"]}, "days"),
        ({"valid_from": "2026-03-10", "valid_until": "2026-03-01"}, "valid_until"),
        ({"dates": ["1900-01-01"]}, "2000"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_shift_is_refused_with_the_reason(world, change, where):
    app, _ = world
    client, csrf = login(app, "admin_city")
    r = client.post("/api/rosters", json={**SHIFT, **change}, headers=csrf)
    assert r.status_code == 422 and where in r.text
    assert all(day == [] for day in cells(client.get("/api/rosters", params={"day": MONDAY}).json(), "h1", "w1"))


def test_config_shifts_cannot_be_deleted_here_and_bad_days_are_refused(world):
    app, _ = world
    client, csrf = login(app, "admin_city")
    assert client.delete("/api/rosters/nope", headers=csrf).status_code == 404
    assert client.get("/api/rosters", params={"day": "1999-12-31"}).status_code == 422
    assert client.get("/api/rosters", params={"day": "not-a-date"}).status_code == 422
    assert client.get("/api/rosters", params={"hall": "nope"}).status_code == 404


def test_the_week_follows_the_halls_hours_and_warns_of_two_people_at_one_window(tmp_path):
    """Issue 26: a config shift of the whole day (the default) showed 00:00–24:00 and on days the
    hall is closed; two people holding one window at once went unnoticed."""
    data = registry("127.0.0.1:1", "g", alerts={"secure_cookies": False})
    data["schedules"] = {
        "standard": {
            "weekly": [
                {
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "periods": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}],
                }
            ],
            "holidays": {"use_prc_calendar": False, "closed": ["2026-03-04"]},
        }
    }
    data["halls"][2]["schedule"] = "standard"  # h1
    data["rosters"] = [{"hall": "h1", "window": "w1", "person": "赵六"}]  # every day, all day
    service = AlertService.open(parse_config(data), f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    add_users(app, USERS, PASSWORD)
    admin, csrf = login(app, "admin_city")
    morning = {**SHIFT, "person": "钱七", "days": ["mon"], "periods": [{"start": "08:00", "end": "10:00"}]}
    assert admin.post("/api/rosters", json=morning, headers=csrf).status_code == 201
    week = admin.get("/api/rosters", params={"day": MONDAY, "hall": "h1"}).json()
    w1 = next(w for w in week["halls"][0]["windows"] if w["window_id"] == "w1")
    periods = lambda shift: [(p["start"], p["end"]) for p in shift["periods"]]  # noqa: E731
    zhao = [next(s for s in day if s["person"] == "赵六") for day in w1["days"][:2]]
    assert all(periods(s) == [("09:00", "12:00"), ("13:30", "17:00")] for s in zhao)  # the hall's hours
    qian = next(s for s in w1["days"][0] if s["person"] == "钱七")
    assert periods(qian) == [("09:00", "10:00")]  # before nine the hall is not open
    assert w1["closed"] == [False, False, True, False, False, True, True]  # a closed Wednesday, the weekend
    assert w1["days"][2] == [] and w1["days"][5] == [] and w1["days"][6] == []
    assert w1["conflicts"][0] == ["赵六、钱七 09:00–10:00"] and w1["conflicts"][1] == []


def test_duty_spans_and_conflicts_are_plain_arithmetic():
    from alerts.rosters import conflicts, hhmm, intersect

    assert intersect([(480, 720)], [(540, 720), (810, 1020)]) == [(540, 720)]
    assert intersect([(0, 1440)], [(540, 720), (810, 1020)]) == [(540, 720), (810, 1020)]
    assert conflicts([("张三", [(540, 720)]), ("张三", [(600, 660)])]) == []  # one person twice: no clash
    assert conflicts([("张三", [(540, 720)]), ("李四", [(700, 800)]), ("王五", [(720, 800)])]) == [
        "张三、李四 11:40–12:00",
        "李四、王五 12:00–13:20",
    ]
    assert hhmm(1440) == "24:00" and hhmm(545) == "09:05"
