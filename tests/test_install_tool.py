"""The installers' tool: a calibration's floor grid over the calibrated area (not to the horizon),
per-point errors, and a drawn zone turned into a validated config section (administrators only)."""

from __future__ import annotations

import time

import pytest
import yaml
from fastapi.testclient import TestClient

from alerts.api import create_app
from alerts.service import AlertService
from configs.loader import parse_config
from tests.alert_fixtures import registry
from tests.helpers import rect

PASSWORD = "installer password"
IMAGE = [[100, 400], [700, 400], [760, 580], [40, 580]]  # a trapezoid: the floor seen in perspective
FLOOR = [[0, 0], [6, 0], [6, 3], [0, 3]]


@pytest.fixture()
def app(tmp_path):
    return installation(tmp_path)


def installation(tmp_path, **camera):
    """The service with an administrator and an operator; ``camera`` changes the first camera."""
    data = registry(
        "127.0.0.1:1",
        "install",
        alerts={"secure_cookies": False},
        evidence={"root": str(tmp_path / "evidence"), "hmac_key": "k"},
    )
    data["cameras"][0].update(frame_size=[800, 600], **camera)
    cfg = parse_config(data)
    service = AlertService.open(cfg, f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(service)
    app.state.users.add("admin", PASSWORD, "admin", "city")
    app.state.users.add("op", PASSWORD, "operator", "city")
    return app


def login(app, name: str) -> tuple[TestClient, dict]:
    client = TestClient(app)
    csrf = client.post("/api/login", json={"username": name, "password": PASSWORD}).json()["csrf"]
    return client, {"X-CSRF-Token": csrf}


def test_the_grid_covers_the_calibrated_floor_and_stays_in_the_frame(app):
    client, csrf = login(app, "admin")
    r = client.post("/api/install/c-city-1/calibration-preview", json={"image": IMAGE, "floor": FLOOR}, headers=csrf)
    assert r.status_code == 200, r.text
    body = r.json()
    assert max(body["errors_m"]) < 1e-6  # four exact pairs
    lines = body["grid"]
    # x = -2..8 and y = -2..5 around the 6 x 3 m floor: at most 11 + 8 lines, each inside 800 x 600.
    assert 4 <= len(lines) <= 19
    assert all(0 <= x <= 800 and 0 <= y <= 600 for line in lines for x, y in line)


def test_a_degenerate_calibration_is_refused_with_why(app):
    client, csrf = login(app, "admin")
    r = client.post(
        "/api/install/c-city-1/calibration-preview",
        json={"image": [[0, 0], [100, 0], [200, 0], [300, 0]], "floor": FLOOR},
        headers=csrf,
    )
    assert r.status_code == 422 and "collinear" in r.text


def test_a_calibration_over_kilometres_is_refused_at_once(app):
    """A 3 km floor drew a 1 m grid of 2.8 s and 5.4 MB (issue 24): a hall is at most 300 m across."""
    client, csrf = login(app, "admin")
    huge = [[x * 500, y * 500] for x, y in FLOOR]  # metres typed as centimetres, and then some
    started = time.monotonic()
    r = client.post("/api/install/c-city-1/calibration-preview", json={"image": IMAGE, "floor": huge}, headers=csrf)
    assert r.status_code == 422 and "300 m across" in r.text
    assert time.monotonic() - started < 1 and len(r.content) < 2000


def test_a_drawn_zone_becomes_a_config_section(app):
    client, csrf = login(app, "admin")
    zone = {"id": "w1-post", "kind": "post", "window": "w1", "polygon": rect(100, 100, 200, 200)}
    r = client.post(
        "/api/install/c-city-1/section",
        json={"zones": [zone], "calibration": {"image": IMAGE, "floor": FLOOR}},
        headers=csrf,
    )
    assert r.status_code == 200, r.text
    camera = yaml.safe_load(r.json()["yaml"])[0]
    assert camera["id"] == "c-city-1" and camera["zones"][0]["id"] == "w1-post"
    assert camera["calibration"]["floor"] == FLOOR
    # Only what differs from the defaults, and the config loads with it in place of the camera.
    assert "name" not in camera["zones"][0] and "rules" not in camera["zones"][0] and "source_fps" not in camera
    cfg = app.state.ctx.cfg
    whole = cfg.model_dump(mode="json")
    whole["cameras"][0] = camera
    assert parse_config(whole).cameras[0].zones[0].window == "w1"
    outside = {**zone, "polygon": rect(900, 700, 1000, 800)}
    r = client.post("/api/install/c-city-1/section", json={"zones": [outside]}, headers=csrf)
    assert r.status_code == 422 and "outside the 800x600 frame" in r.text
    unknown = {**zone, "window": "w9"}
    assert client.post("/api/install/c-city-1/section", json={"zones": [unknown]}, headers=csrf).status_code == 422
    assert client.post("/api/install/c-city-1/section", json={"zones": [zone]}, headers=csrf).json()["advice"] == []


def test_a_non_finite_vertex_or_point_is_refused_not_written_as_inf(app):
    """JSON's Infinity and NaN (Python's parser takes them): the zone was accepted and written back
    as ``.inf`` into the section to paste."""
    client, csrf = login(app, "admin")
    headers = {**csrf, "content-type": "application/json"}
    zone = '{"id": "w1-post", "kind": "post", "window": "w1", "polygon": [[%s, 100], [200, 100], [200, 200]]}'
    points = '{"image": [[%s, 400], [700, 400], [760, 580], [40, 580]], "floor": [[0, 0], [6, 0], [6, 3], [0, 3]]}'
    for bad in ("Infinity", "-Infinity", "NaN"):
        for route, body, where in (
            ("section", '{"zones": [%s]}' % (zone % bad), ["body", "zones", 0, "polygon", 0, 0]),
            ("section", '{"calibration": %s}' % (points % bad), ["body", "calibration", "image", 0, 0]),
            ("calibration-preview", points % bad, ["body", "image", 0, 0]),
        ):
            r = client.post(f"/api/install/c-city-1/{route}", content=body, headers=headers)
            assert r.status_code == 422, (route, bad, r.text)
            assert r.json()["detail"][0]["type"] == "finite_number" and r.json()["detail"][0]["loc"] == where


def test_the_section_says_what_its_settings_cost(tmp_path):
    """A queue drawn on a camera analysed at 2 frames/s is valid, and the tool advises 5."""
    client, csrf = login(installation(tmp_path, analysis_fps=2), "admin")
    queue = {"id": "q", "kind": "queue_area", "polygon": rect(100, 420, 700, 560)}
    r = client.post(
        "/api/install/c-city-1/section",
        json={"zones": [queue], "calibration": {"image": IMAGE, "floor": FLOOR}},
        headers=csrf,
    )
    assert r.status_code == 200, r.text
    assert [(a["loc"], a["type"]) for a in r.json()["advice"]] == [("cameras[0].analysis_fps", "low_analysis_rate")]


def test_only_administrators_install(app):
    client, csrf = login(app, "op")
    r = client.post("/api/install/c-city-1/calibration-preview", json={"image": IMAGE, "floor": FLOOR}, headers=csrf)
    assert r.status_code == 403


def test_people_on_the_snapshot_get_floor_positions_under_the_drawn_calibration(app, tmp_path):
    """The pipeline's record of who was on the snapshot; their foot points mapped through the
    calibration being drawn (the installer checks it by people walking)."""
    import json

    from streams.evidence.storage import LocalEvidenceStore

    store = LocalEvidenceStore(tmp_path / "evidence")
    # Feet at the calibration's corners (0, 0) and (6, 3), and one person with a broken box.
    seen = {
        "at": "2026-03-02T09:00:00+08:00",
        "size": [800, 600],
        "people": [[1, 80, 200, 120, 400], [2, 740, 380, 780, 580], [3, "x", 0, 1, 1]],
    }
    store.write_live_people("c-city-1", json.dumps(seen).encode())
    client, csrf = login(app, "admin")
    body = client.post(
        "/api/install/c-city-1/calibration-preview", json={"image": IMAGE, "floor": FLOOR}, headers=csrf
    ).json()
    assert body["people"] == []  # a malformed record is dropped whole, never a 500
    assert client.get("/api/install/c-city-1/people").json()["people"] == []
    seen["people"].pop()
    store.write_live_people("c-city-1", json.dumps(seen).encode())
    body = client.post(
        "/api/install/c-city-1/calibration-preview", json={"image": IMAGE, "floor": FLOOR}, headers=csrf
    ).json()
    assert [p["foot"] for p in body["people"]] == [[100.0, 400.0], [760.0, 580.0]]
    assert [p["floor_m"] for p in body["people"]] == [[0.0, 0.0], [6.0, 3.0]]
    # Without a configured calibration the camera's own view has boxes but no metres.
    assert [p["floor_m"] for p in client.get("/api/install/c-city-1/people").json()["people"]] == [None, None]
    assert login(app, "op")[0].get("/api/install/c-city-1/people").status_code == 403
