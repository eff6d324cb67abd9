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
    with serve_app(create_app(service)) as url:
        yield url, service


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
    url, service = world
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
    url, service = world
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
    for raw in (b"", b"[]", b'{"events": 1}', b"\xff\xfe", b"[" * 100_000):
        r = httpx.post(
            f"{url}/api/integrations/service-events", content=raw, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert r.status_code in (413, 422), (raw[:10], r.status_code)
    assert stored(service) == set()


def test_repeats_are_not_stored_twice_and_csv_imports_the_same_events(world):
    url, service = world
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
    url, service = world
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
