"""The halls' queue tickets and ratings (issue 28, the intake and the first join): an integration
reports over HTTP with its bearer token, as JSON or CSV, all or nothing, idempotent by event id;
no token or a wrong one is 401, a hall it may not report 403, a malformed event 422 naming the field
(nothing of the request stored); a ticket called while the window's empty-post alert is open is
recorded on that alert (叫号无人). Served on a real port (uvicorn), hostile values included."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from alerts.api import create_app
from alerts.service import AlertService
from alerts.service_events import CALLED_AT_EMPTY
from configs.env import integration_token_variable
from configs.loader import ConfigError, parse_config
from tests.alert_fixtures import T0, registry, violation
from tests.console_server import serve_app

TOKEN = "lianhua-queue-token-0123456789abcdef"
OTHER = "county-rating-token-0123456789abcdef"


@pytest.fixture
def world(tmp_path):
    data = registry("127.0.0.1:1", "g", alerts={"secure_cookies": False})
    data["integrations"] = [
        {"id": "lianhua-queue", "token": TOKEN, "halls": ["h1"]},
        {"id": "county-rating", "token": OTHER, "halls": ["h-county"]},
    ]
    service = AlertService.open(parse_config(data), f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    with serve_app(app) as url:
        yield url, service, app


def post(url: str, body, token: str | None = TOKEN, csv: bool = False) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if csv:
        headers["Content-Type"] = "text/csv"
        return httpx.post(f"{url}/api/integrations/service-events", content=body.encode(), headers=headers)
    return httpx.post(f"{url}/api/integrations/service-events", json=body, headers=headers)


def event(eid: str, kind: str = "ticket_called", **extra) -> dict:
    base = {"id": eid, "kind": kind, "hall": "h1", "window": "w1", "ticket": "A001", "at": T0.isoformat()}
    if kind == "ticket_issued":
        base.pop("window")
    if kind == "rating":
        base.pop("ticket")
        base["score"] = 4
    return {**base, **extra}


def stored(service) -> set[str]:
    return {
        r.id
        for r in service.repos.service_events.between(
            ["h1", "h-county"], T0 - timedelta(days=1), T0 + timedelta(days=1)
        )
    }


def test_tokens_and_halls_are_checked_before_anything_is_stored(world):
    url, service, _ = world
    body = {"events": [event("e1")]}
    assert post(url, body, token=None).status_code == 401
    assert post(url, body, token="wrong").status_code == 401
    assert post(url, body, token=TOKEN[:-1]).status_code == 401
    r = httpx.post(f"{url}/api/integrations/service-events", json=body, headers={"Authorization": f"Basic {TOKEN}"})
    assert r.status_code == 401 and "Bearer" in r.headers["www-authenticate"]
    assert post(url, body, token=OTHER).status_code == 403  # h1 is not county-rating's
    assert stored(service) == set()
    assert post(url, body).json() == {"stored": 1, "repeats": 0}


def test_a_batch_is_all_or_nothing_and_names_each_bad_field(world):
    url, service, _ = world
    bad = [
        event("ok-1", kind="ticket_issued", service="社保"),
        event("bad-time", at="2026-03-02T09:00:00"),  # no offset
        event("bad-window", window="w9"),
        event("bad-score", kind="rating", score=9),
        event("no-ticket", ticket=None),
        {**event("extra"), "unexpected": 1},
        event("bad-text", kind="rating", comment="\u202e反转"),
    ]
    bad[4].pop("ticket")
    r = post(url, {"events": bad})
    assert r.status_code == 422, r.text
    where = {tuple(d["loc"][2:4]) for d in r.json()["detail"]}
    assert where >= {(1, "at"), (2, "window"), (3, "score"), (4, "ticket"), (5, "unexpected"), (6, "comment")}, where
    assert stored(service) == set()  # the good one was not stored either
    for hostile in ([], [None], ["x"], [{}], [event("x")] * 1001):
        assert post(url, {"events": hostile}).status_code in (413, 422)  # 413: over alerts.max_body_kb
    score = b'{"events": [{"id": "n", "kind": "rating", "hall": "h1", "window": "w1", "at": "%s", "score": %s}]}'
    not_json = [score % (T0.isoformat().encode(), constant) for constant in (b"NaN", b"Infinity", b"-Infinity")]
    for raw in (b"", b"[]", b'{"events": 1}', b"\xff\xfe", b"[" * 100_000, *not_json):
        r = httpx.post(
            f"{url}/api/integrations/service-events", content=raw, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert r.status_code in (413, 422), (raw[:10], r.status_code)
    assert r.json()["detail"][0]["type"] == "json_invalid"  # NaN, Infinity: Python's, not JSON
    assert stored(service) == set()


def test_repeats_are_not_stored_twice_and_csv_imports_the_same_events(world):
    url, service, _ = world
    events = [
        event("t1", kind="ticket_issued", service="社保"),
        event("t2"),
        event("t3", kind="rating", comment="等太久"),
    ]
    assert post(url, {"events": events}).json() == {"stored": 3, "repeats": 0}
    assert post(url, {"events": events}).json() == {"stored": 0, "repeats": 3}
    text = (
        "id,kind,hall,window,ticket,service,person,score,comment,at\n"
        f"c1,ticket_issued,h1,,A002,公积金,,,,{T0.isoformat()}\n"
        f"c2,ticket_finished,h1,w2,A002,,,,,{(T0 + timedelta(minutes=9)).isoformat()}\n"
        f'c3,rating,h1,w2,A002,,王芳,1,"=HYPERLINK(""x"")",{(T0 + timedelta(minutes=10)).isoformat()}\n'
        f"t2,ticket_called,h1,w1,A001,,,,,{T0.isoformat()}\n"
    )
    assert post(url, text, csv=True).json() == {"stored": 3, "repeats": 1}
    rows = {
        r.id: r for r in service.repos.service_events.between(["h1"], T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    }
    assert (
        rows["c3"].score == 1 and rows["c3"].comment == '=HYPERLINK("x")' and rows["c3"].source == "csv:lianhua-queue"
    )
    assert post(url, "id,kind,nonsense\n1,2,3\n", csv=True).status_code == 422
    assert post(url, "id,kind,hall\nq,rating,h1,extra\n", csv=True).status_code == 422


def test_a_ticket_called_at_an_open_empty_post_is_recorded_on_its_alert(world):
    url, service, _ = world
    service.store.apply_violations([violation("empty")])  # h1 / w1, open since T0
    r = post(url, {"events": [event("call", at=(T0 + timedelta(minutes=3)).isoformat(), ticket="B017")]})
    assert r.json() == {"stored": 1, "repeats": 0}
    entries = [e for e in service.store.audit("empty") if e.action == CALLED_AT_EMPTY]
    assert len(entries) == 1 and entries[0].details["ticket"] == "B017"
    # A call before the alert began, or at another window, is no one's.
    post(url, {"events": [event("early", at=(T0 - timedelta(minutes=1)).isoformat()), event("w2", window="w2")]})
    assert len([e for e in service.store.audit("empty") if e.action == CALLED_AT_EMPTY]) == 1


def test_integrations_are_checked_in_the_config(monkeypatch):
    data = registry("127.0.0.1:1", "g")
    data["integrations"] = [{"id": "q", "token": "short", "halls": ["nope"]}]
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert [p for p, _ in caught.value.issues] == ["integrations[0].halls[0]"]
    data["integrations"] = [{"id": "q", "token": "short", "halls": ["h1"]}]
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert [p for p, _ in caught.value.issues] == ["integrations[0].token"]
    monkeypatch.setenv(integration_token_variable("q"), "from-the-environment-0123456789")
    assert parse_config(data).integrations[0].token == "from-the-environment-0123456789"


def test_a_call_at_a_post_empty_all_that_minute_raises_its_own_alert(world):
    """No alert open yet (the rule waits `after_s` before it opens one): a ticket called while the
    pipeline's minute shows nobody at the post raises 叫号无人 naming the ticket, also when the call
    arrives before its minute; a call in a staffed minute raises nothing."""
    import json

    from alerts.consumer import Received
    from domain.events import ServiceMinute
    from streams.wire import decode
    from tests.alert_fixtures import minute_message

    url, service, _ = world
    calls = [
        event("c-empty", at=(T0 + timedelta(seconds=30)).isoformat(), ticket="C005"),
        event("c-staffed", at=(T0 + timedelta(seconds=70)).isoformat(), ticket="C006"),
    ]
    assert post(url, {"events": calls}).json() == {"stored": 2, "repeats": 0}
    assert service.store.list(hall="h1") == []  # the minutes have not come yet
    empty = [{"window_id": "w1", "staffed_s": 0.0, "first_in": None, "last_in": None}]
    second = T0 + timedelta(minutes=1)
    staffed = [{"window_id": "w1", "staffed_s": 41.0, "first_in": second.isoformat(), "last_in": None}]
    minute = decode(ServiceMinute, json.dumps(minute_message("h1", "c-h1", posts=empty)))
    next_minute = decode(
        ServiceMinute,
        json.dumps(
            minute_message("h1", "c-h1", posts=staffed, minute=second.isoformat(), produced_at=second.isoformat())
        ),
    )
    for offset, m in enumerate((minute, next_minute)):
        assert service.handle([Received("hallwatch.service-minutes", "h1", 0, offset, minute=m)]) == []
    (raised,) = service.store.list(hall="h1")
    assert (raised.type, raised.reason, raised.window_id) == ("empty_post", "called_empty", "w1")
    assert raised.started_at == T0 + timedelta(seconds=30) and raised.lifecycle == "new"
    (entry,) = [e for e in service.store.audit(raised.event_id) if e.action == CALLED_AT_EMPTY]
    assert entry.details["ticket"] == "C005"
    # The same minute again, or the call again: one alert, one entry.
    service.handle([Received("hallwatch.service-minutes", "h1", 0, 1, minute=minute)])
    assert post(url, {"events": calls}).json() == {"stored": 0, "repeats": 2}
    assert len(service.store.list(hall="h1")) == 1
    assert len([e for e in service.store.audit(raised.event_id) if e.action == CALLED_AT_EMPTY]) == 1
    # A call after its minute arrived is joined at once.
    post(url, {"events": [event("c-late", at=(T0 + timedelta(seconds=50)).isoformat(), ticket="C007")]})
    assert len(service.store.list(hall="h1")) == 2


def test_the_report_and_metrics_carry_the_ticket_figures_computed_by_hand(world):
    """办件量, 平均等候 (取号 → 叫号) and 差评数 per window, summed for the hall and its regions; today's
    waits on /metrics by quantile."""
    from datetime import UTC, datetime

    from tests.helpers import add_users

    url, service, app = world
    add_users(app, {"admin": ("admin", "city")}, "a long admin password")
    day = datetime.now(UTC).astimezone(T0.tzinfo).replace(hour=9, minute=0, second=0, microsecond=0)

    def at(minutes: float) -> str:
        return (day + timedelta(minutes=minutes)).isoformat()

    events = [
        event("i1", kind="ticket_issued", ticket="A1", at=at(0)),
        event("k1", ticket="A1", at=at(6)),  # waited 6 minutes, at w1
        event("f1", kind="ticket_finished", ticket="A1", at=at(15)),
        event("i2", kind="ticket_issued", ticket="A2", at=at(2)),
        event("k2", window="w2", ticket="A2", at=at(5)),  # 3 minutes, at w2
        event("k2b", window="w2", ticket="A2", at=at(5.5)),  # called again: the first call counts
        event("r1", kind="rating", window="w2", score=1, at=at(20)),
        event("r2", kind="rating", score=5, at=at(21)),
        event("k3", ticket="Z9", at=at(30)),  # never issued: no wait
    ]
    assert post(url, {"events": events}).json() == {"stored": 9, "repeats": 0}
    admin = httpx.Client(base_url=url)
    admin.post("/api/login", json={"username": "admin", "password": "a long admin password"}).raise_for_status()
    report = admin.get(
        "/api/reports/attendance", params={"start": day.date().isoformat(), "end": day.date().isoformat()}
    ).json()
    rows = {r["window_id"]: r for r in report["windows"] if r["hall_id"] == "h1"}
    assert (rows["w1"]["tickets_finished"], rows["w1"]["ticket_wait_min"], rows["w1"]["poor_ratings"]) == (1, 6.0, 0)
    assert (rows["w2"]["tickets_finished"], rows["w2"]["ticket_wait_min"], rows["w2"]["poor_ratings"]) == (0, 3.0, 1)
    hall = next(h for h in report["halls"] if h["hall_id"] == "h1")
    assert (hall["tickets_finished"], hall["ticket_waits"], hall["ticket_wait_min"], hall["poor_ratings"]) == (
        1,
        2,
        4.5,
        1,
    )
    town = next(r for r in report["regions"] if r["region_id"] == "town")
    assert (town["ticket_waits"], town["poor_ratings"]) == (2, 1)
    table = admin.get(
        "/api/reports/attendance",
        params={"start": day.date().isoformat(), "end": day.date().isoformat(), "format": "csv"},
    ).text
    assert "平均等候(叫号,分钟)" in table.splitlines()[0] and "差评数" in table.splitlines()[0]
    metrics = httpx.get(f"{url}/metrics").text
    quantiles = {line.split("quantile=")[1][1:4]: float(line.rsplit(" ", 1)[1])
                 for line in metrics.splitlines() if line.startswith("hallwatch_ticket_wait_seconds{") and 'hall="h1"' in line}  # fmt: skip
    assert quantiles == {"0.5": 270.0, "0.9": 342.0}, quantiles  # waits 180 s and 360 s


def test_a_poor_rating_opens_a_case_for_the_officer_at_its_window(world):
    """差评: a rating of 1 or 2 raises a poor_rating alert at that hall and window (on the camera of
    the window's post), the score and the citizen's words in its timeline; 3 to 5 raise nothing."""
    url, service, _ = world
    ratings = [
        event("bad", kind="rating", score=1, comment="<b>等了一个小时</b>", ticket="A9", person="李强"),
        event("fine", kind="rating", score=4),
        event("no-camera", kind="rating", window="w2", score=2),  # c-h1 watches w1 only
    ]
    assert post(url, {"events": ratings}).json() == {"stored": 3, "repeats": 0}
    (alert,) = service.store.list(hall="h1")
    assert (alert.type, alert.window_id, alert.camera_id, alert.lifecycle) == ("poor_rating", "w1", "c-h1", "new")
    (entry,) = [e for e in service.store.audit(alert.event_id) if e.action == "poor_rating"]
    assert entry.details["score"] == 1 and entry.details["comment"] == "<b>等了一个小时</b>"
    assert post(url, {"events": ratings}).json() == {"stored": 0, "repeats": 3}
    assert len(service.store.list(hall="h1")) == 1


@pytest.mark.kafka
def test_the_topic_is_the_same_intake_as_the_route(kafka_broker, tmp_path):
    """Through the real broker into the running service: a call at an open empty post lands on its
    alert, a 差评 opens its case, a repeat is stored once, and an event of a hall the config does
    not know goes to the DLQ while the next one is used."""
    import json
    import uuid

    from kafka import KafkaProducer

    from tests.helpers import wait_for
    from tests.test_poison import read_dlq

    marker = uuid.uuid4().hex[:10]
    service = AlertService.open(
        parse_config(registry(kafka_broker.bootstrap, f"events-{marker}")), f"sqlite:///{tmp_path / 'a.db'}"
    )
    service.store.apply_violations([violation("empty")])  # h1 / w1, open since T0
    call = event(f"call-{marker}", at=(T0 + timedelta(minutes=3)).isoformat(), ticket="B017")
    unknown = event(f"elsewhere-{marker}", hall="no-such-hall")
    rating = event(
        f"bad-{marker}", kind="rating", score=1, comment="没人接待", at=(T0 + timedelta(minutes=5)).isoformat()
    )
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    key = marker.encode()
    for message in (call, call, unknown, rating):
        producer.send("hallwatch.service-events", key=key, value=json.dumps(message).encode())
    producer.flush()
    service.start()
    try:
        wait_for(lambda: {call["id"], rating["id"]} <= stored(service), 60, "the call and the rating")
        wait_for(lambda: any(a.type == "poor_rating" for a in service.store.list(hall="h1")), 30, "the 差评 case")
    finally:
        service.stop()
    entries = [e for e in service.store.audit("empty") if e.action == CALLED_AT_EMPTY]
    assert len(entries) == 1 and entries[0].details["ticket"] == "B017"
    (case,) = [a for a in service.store.list(hall="h1") if a.type == "poor_rating"]
    assert case.window_id == "w1"
    (dead,) = read_dlq(kafka_broker.bootstrap, key, 1)
    assert "no-such-hall" in dead["reason"] and dead["topic"] == "hallwatch.service-events"
