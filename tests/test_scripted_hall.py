"""The demo's scripted hall (issue 26: a newcomer saw three reasons in 52 demo alerts): one ten-minute
cycle through the real camera analysis raises every rule at the scripted moments, and the demo's
configs put it beside the footage on its own schedule, aligned with its cycles."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import yaml

from configs.loader import load_config, parse_config
from detectors.detections import Detections
from ingest import scripted_hall as sh
from ingest.analysis import CameraAnalysis
from ingest.demo_clock import live_config
from ingest.frames import Frame
from tests.conftest import ROOT

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
REGIONS = [
    {"id": "c", "name": "市", "level": "city"},
    {"id": "k", "name": "县", "level": "county", "parent": "c"},
    {"id": "t", "name": "镇", "level": "township", "parent": "k"},
]


def test_one_cycle_raises_every_rule_at_its_scripted_moment(tmp_path):
    sections = sh.write(tmp_path, START, 1, "t")
    cfg = parse_config(
        {
            "regions": REGIONS,
            "halls": [sections["hall"]],
            "schedules": {sh.HALL_ID: sections["schedule"]},
            "cameras": [sections["camera"]],
            "rosters": sections["rosters"],
        }
    )
    violations: list = []
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=violations.append, emit_minute=lambda m: None)
    actors = sh.demo_actors()
    for k in range(len(actors[0].positions)):
        boxes = sh.boxes_for(np.array([a.positions[k] for a in actors]))
        detections = Detections(boxes, np.ones(len(boxes)), np.arange(1, len(boxes) + 1))
        analysis.process(Frame(sh.CAMERA_ID, k + 1, START + timedelta(seconds=k / sh.FPS), None, detections))
    analysis.finish()
    closed = {
        (v.type, v.reason, v.zone_id): (v.started_at - START).total_seconds()
        for v in violations
        if v.status == "closed"
    }
    reasons = {(t, r) for t, r, _ in closed}
    assert reasons == {
        ("empty_post", "late_arrival"),
        ("empty_post", "early_leave"),
        ("empty_post", "absent"),
        ("empty_post", "left_post"),
        ("citizen_waiting", "unattended"),
        ("staff_chatting", "gathering"),
        ("queue_crowding", "too_close"),
        ("queue_crowding", "line_crossed"),
    }, closed
    assert closed[("empty_post", "late_arrival", "p1")] == 60.0  # from the period's start, +1:00
    assert closed[("empty_post", "absent", "p3")] == 300.0  # the second period, never back
    assert closed[("citizen_waiting", "unattended", "front3")] > 330  # the citizen at window 3
    assert all(t < sh.CYCLE_S for t in closed.values())  # all within the first ten minutes


def test_the_demo_configs_put_the_scripted_hall_beside_the_footage(tmp_path, monkeypatch):
    monkeypatch.setenv("HALLWATCH_INTEGRATION_DEMO_QUEUE_TOKEN", "a-demo-token-of-enough-length")
    start = datetime.fromisoformat("2026-03-02T14:37:00+08:00")
    live_config(ROOT / "configs" / "demo.yaml", tmp_path / "live.yaml", start, 6)
    whole = load_config(tmp_path / "live.yaml")
    footage = load_config(tmp_path / "live-footage.yaml")
    scripted = load_config(tmp_path / "live-scripted.yaml")
    assert [c.id for c in whole.cameras] == ["cam-01", sh.CAMERA_ID]
    assert [c.id for c in footage.cameras] == ["cam-01"] and [c.id for c in scripted.cameras] == [sh.CAMERA_ID]
    assert scripted.metrics_port == whole.metrics_port + 1  # two pipelines on one machine
    periods = [(p.start, p.end) for p in whole.schedules[sh.HALL_ID].weekly[0].periods]
    assert periods[:4] == [("14:38", "14:41"), ("14:42", "14:46"), ("14:48", "14:51"), ("14:52", "14:56")]
    assert len(periods) == 12 and whole.hall(sh.HALL_ID).schedule == sh.HALL_ID
    assert {s.person for s in whole.rosters if s.hall == sh.HALL_ID} == {"张伟", "刘洋", "陈静"}
    assert [(i.id, i.halls) for i in whole.integrations] == [("demo-queue", [sh.HALL_ID, "lianhua-center"])]
    rows = (tmp_path / "scripted" / "tracks.txt").read_text().splitlines()
    assert int(rows[-1].split(",")[0]) == 6 * int(sh.CYCLE_S * sh.FPS)  # six cycles of frames
    assert yaml.safe_load((tmp_path / "live.yaml").read_text())["halls"][0]["schedule"] == "demo-live"


def test_the_ticket_simulator_calls_to_an_empty_window_and_gives_a_poor_rating_every_cycle():
    """The demo's queue-ticket system (issue 28): valid events, unique ids, calls only where a clerk
    is there but the one meant for the empty window 3, one 差评 a cycle; and one rated ticket a cycle
    at the footage's hall (its 差评 gets the live camera's recorded clip in the demo)."""
    import json

    from domain.service_events import ServiceEvent
    from ingest.ticket_simulator import FOOTAGE_HALL, PRESENT, all_events
    from streams.wire import decode

    events = all_events(START, 6)
    assert len({e["id"] for e in events}) == len(events)
    typed = [decode(ServiceEvent, json.dumps(e)) for e in events]  # each valid on the wire
    footage = [e for e in typed if e.hall == FOOTAGE_HALL]
    assert [e.kind for e in footage] == ["ticket_issued", "ticket_called", "ticket_finished", "rating"] * 6
    assert all(e.score == 1 for e in footage if e.kind == "rating")
    for k in range(6):
        cycle = [
            e
            for e in typed
            if e.hall == sh.HALL_ID and 0 <= (e.at - START).total_seconds() - k * sh.CYCLE_S < sh.CYCLE_S
        ]
        offsets = [((e.at - START).total_seconds() - k * sh.CYCLE_S, e) for e in cycle]
        empty_calls = [t for t, e in offsets if e.kind == "ticket_called" and e.window == "w3" and t > 245]
        assert empty_calls == [360.0]
        assert [e.score for _, e in offsets if e.kind == "rating" and e.score <= 2] in ([1], [2])
        for t, e in offsets:
            if e.kind == "ticket_called" and t != 360.0:
                assert any(a <= t and t + 60 <= b for a, b in PRESENT[e.window]), (t, e.window)
        assert sum(e.kind == "ticket_finished" for e in cycle) >= 3


def test_a_demo_started_just_before_midnight_has_a_valid_schedule():
    """The cycles' service periods are weekly periods of one day each: one that crosses midnight
    is split at 24:00 (the demo started at 23:59 used to fail its own config)."""
    from zoneinfo import ZoneInfo

    from domain.schedule import ScheduleConfig

    expected = {
        57: [("23:58", "24:00"), ("00:00", "00:01"), ("00:02", "00:06")],  # the first period crosses
        56: [("23:57", "24:00"), ("00:01", "00:05")],  # the first period ends at midnight
    }
    for minute, periods in expected.items():
        start = datetime(2026, 12, 7, 23, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
        schedule = ScheduleConfig.model_validate(sh.hall_config(start, 1, "scripted.txt", "c")["schedule"])
        assert [(p.start, p.end) for p in schedule.weekly[0].periods] == periods
