"""Attendance rules: late arrival, early leave, absent, and citizens left waiting.

The edge tests drive the rule engine with hand-made tracks; the scenario test runs
``run_pipeline.py --events-out`` on the scenario generator's hall with a schedule."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import yaml

from domain.events import Absence
from tests import attendance_scenario as att
from tests import scenario
from tests.conftest import ROOT
from tests.helpers import T0, hall_config, obs, person, rect
from tests.rules_helpers import frames, run_rules

POST = {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 300, 300)}
FRONT = {"id": "f1", "kind": "service_area", "window": "w1", "polygon": rect(100, 400, 300, 500)}
AT_POST, AWAY, AT_FRONT = (2.0, 2.0), (8.0, 8.0), (2.0, 4.5)
# 09:00-12:00 and 14:00-17:00 every day (the engine does not care which day here).
DAY = {
    "weekly": [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "periods": [["09:00", "12:00"], ["14:00", "17:00"]]}
    ],
    "holidays": {"use_prc_calendar": False},
}
EIGHT = T0 - timedelta(hours=1)  # 08:00


def config(schedule=DAY, zones=(POST,), **empty_post):
    rule = {"after_s": 300, "return_s": 5, "late_after_s": 60, "early_before_s": 60, **empty_post}
    return hall_config(
        list(zones), rules={"empty_post": rule, "citizen_waiting": {"wait_s": 30, "clear_s": 5}}, schedule=schedule
    )


def timeline(segments, t0=T0, fps=1.0, extra=()):
    """(start_s, end_s, clerk_at_post) segments, seconds after ``t0``; ``extra`` people each frame."""
    out = []
    for start, end, present in segments:
        for t in frames(start, end, fps):
            people = [person(1, *(AT_POST if present else AWAY))]
            people += [p for (a, b, p) in extra if a <= t < b]
            out.append(obs(t, *people, t0=t0))
    return out


def closed(events):
    return [
        (e["reason"], e["started_at"], e["ended_at"], e["closed_reason"]) for e in events if e["status"] == "closed"
    ]


def at(seconds, t0=T0):
    return (t0 + timedelta(seconds=seconds)).isoformat()


# -- late arrival ------------------------------------------------------------------------------------
def test_late_arrival_opens_late_after_s_past_the_period_start_and_starts_there():
    # Seen from 08:58 (empty), the clerk arrives at 09:02.
    events = run_rules(config(), timeline([(-120, 120, False), (120, 200, True)]))
    opened = [e for e in events if e["status"] == "open"]
    assert [(e["reason"], e["started_at"]) for e in opened] == [("late_arrival", at(0))]
    assert opened[0]["duration_s"] == 60  # confirmed at 09:01:00
    assert closed(events) == [("late_arrival", at(0), at(120), "returned")]


def test_arrival_just_inside_late_after_s_is_not_late():
    assert run_rules(config(), timeline([(-120, 59, False), (59, 200, True)])) == []


def test_arrival_at_late_after_s_is_late():
    assert closed(run_rules(config(), timeline([(-120, 60, False), (60, 200, True)]))) == [
        ("late_arrival", at(0), at(60), "returned")
    ]


def test_a_short_visit_does_not_end_lateness():
    # At the post for 3 s (< return_s) at 09:00:30, for good from 09:03.
    events = run_rules(config(), timeline([(-60, 30, False), (30, 33, True), (33, 180, False), (180, 240, True)]))
    assert closed(events) == [("late_arrival", at(0), at(180), "returned")]


def test_late_after_the_lunch_break_too():
    # Present all morning, at lunch from 11:59:30, back at 14:05 (the afternoon starts at 14:00).
    events = run_rules(
        config(),
        timeline(
            [(0, 3 * 3600 - 30, True), (3 * 3600 - 30, 5 * 3600 + 300, False), (5 * 3600 + 300, 5 * 3600 + 400, True)]
        ),
    )
    assert closed(events) == [("late_arrival", at(5 * 3600), at(5 * 3600 + 300), "returned")]


def test_a_camera_that_starts_mid_period_cannot_tell_lateness():
    # The first frame is at 09:30 with nobody there: an empty post after after_s, not a late arrival.
    events = run_rules(config(), timeline([(1800, 2200, False), (2200, 2300, True)]))
    assert closed(events) == [("left_post", at(1800), at(2200), "returned")]


def test_without_a_schedule_there_are_no_period_boundaries():
    events = run_rules(config(schedule=None), timeline([(-120, 120, False), (120, 200, True)]))
    assert events == []  # 240 s empty < after_s, and no period start to be late for


def test_a_registered_absence_at_the_period_start_suppresses_lateness():
    absence = Absence(
        "a1", "hall", T0 - timedelta(minutes=30), T0 + timedelta(minutes=20), "会议", "王五", window_id="w1"
    )
    events = run_rules(
        config(), timeline([(-60, 25 * 60, False), (25 * 60, 26 * 60, True)]), absences=lambda: [absence]
    )
    # After the absence (09:20) it is an ordinary empty post: 300 s later it opens.
    assert closed(events) == [("left_post", at(20 * 60), at(25 * 60), "returned")]


def test_no_service_no_lateness_on_a_closed_day():
    closed_day = {**DAY, "holidays": {"use_prc_calendar": False, "closed": [T0.date().isoformat()]}}
    assert run_rules(config(schedule=closed_day), timeline([(-60, 600, False), (600, 700, True)])) == []


# -- early leave and absent -----------------------------------------------------------------------------
def test_leaving_early_is_opened_and_closed_at_the_period_end():
    noon = 3 * 3600
    events = run_rules(config(), timeline([(noon - 200, noon - 90, True), (noon - 90, noon + 60, False)], fps=1))
    assert [e["status"] for e in events] == ["open", "closed"]
    assert closed(events) == [("early_leave", at(noon - 90), at(noon), "service_end")]
    assert events[0]["reason"] == "early_leave"


def test_leaving_just_inside_early_before_s_is_not_early():
    noon = 3 * 3600
    assert run_rules(config(), timeline([(noon - 200, noon - 59, True), (noon - 59, noon + 60, False)])) == []


def test_an_open_left_post_running_at_the_period_end_closes_as_early_leave():
    noon = 3 * 3600
    events = run_rules(config(), timeline([(noon - 900, noon - 400, True), (noon - 400, noon + 60, False)]))
    assert [(e["status"], e["reason"]) for e in events] == [("open", "left_post"), ("closed", "early_leave")]
    assert closed(events) == [("early_leave", at(noon - 400), at(noon), "service_end")]


def test_someone_back_at_the_post_at_the_period_end_did_not_leave_early():
    noon = 3 * 3600
    # Away from 11:50, back at 11:59:58 (not yet return_s when the period ends): no early leave.
    events = run_rules(
        config(), timeline([(noon - 900, noon - 600, True), (noon - 600, noon - 2, False), (noon - 2, noon + 60, True)])
    )
    assert [e["reason"] for e in events if e["status"] == "closed"] == ["left_post"]


def test_unoccupied_all_period_is_absent():
    events = run_rules(config(), timeline([(-60, 3 * 3600 + 60, False)], fps=0.5))
    assert [(e["status"], e["reason"]) for e in events] == [("open", "late_arrival"), ("closed", "absent")]
    assert closed(events) == [("absent", at(0), at(3 * 3600), "service_end")]


def test_an_absence_covering_the_period_end_suppresses_early_leave():
    noon = 3 * 3600
    absence = Absence(
        "a1",
        "hall",
        T0 + timedelta(seconds=noon - 60),
        T0 + timedelta(seconds=noon + 600),
        "外出办事",
        "王五",
        window_id="w1",
    )
    events = run_rules(
        config(), timeline([(noon - 200, noon - 120, True), (noon - 120, noon + 60, False)]), absences=lambda: [absence]
    )
    assert events == []  # empty 60 s before the absence: neither left post nor early leave


# -- citizen waiting -------------------------------------------------------------------------------------
def _citizen(a, b):
    return [(a, b, person(7, *AT_FRONT))]


def test_citizen_waiting_at_an_unstaffed_window():
    cfg = config(zones=(POST, FRONT))
    events = run_rules(
        cfg, timeline([(0, 200, False)], fps=5, extra=_citizen(10, 50)) + timeline([(200, 230, True)], fps=5)
    )
    waiting = [e for e in events if e["type"] == "citizen_waiting"]
    assert [(e["status"], e["zone_id"], e["window_id"]) for e in waiting] == [
        ("open", "f1", "w1"),
        ("closed", "f1", "w1"),
    ]
    assert waiting[0]["started_at"] == at(10) and waiting[0]["duration_s"] == 30  # opens after wait_s
    assert waiting[1]["ended_at"] == at(49.8) and waiting[1]["reason"] == "unattended" and waiting[1]["people"] == 1


def test_a_citizen_served_by_a_clerk_is_not_waiting():
    cfg = config(zones=(POST, FRONT))
    events = run_rules(cfg, timeline([(0, 100, True)], fps=5, extra=_citizen(10, 80)))
    assert [e for e in events if e["type"] == "citizen_waiting"] == []


def test_a_citizen_waiting_just_under_wait_s_is_no_violation():
    cfg = config(zones=(POST, FRONT))
    events = run_rules(cfg, timeline([(0, 100, False)], fps=5, extra=_citizen(10, 40)))
    assert [e for e in events if e["type"] == "citizen_waiting"] == []  # last frame at 39.8: 29.8 s


def test_citizen_waiting_only_in_service_hours():
    cfg = config(zones=(POST, FRONT))
    lunch = 3 * 3600 + 600  # 12:10
    events = run_rules(cfg, timeline([(lunch, lunch + 120, False)], fps=5, extra=_citizen(lunch, lunch + 100)))
    assert [e for e in events if e["type"] == "citizen_waiting"] == []


# -- the scenario through run_pipeline.py ------------------------------------------------------------------
@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """The attendance scenario's clean tracks as a MOT file, through ``run_pipeline.py``."""
    tmp = tmp_path_factory.mktemp("attendance")
    actors = att.build_actors()
    rows = []
    for k in range(len(actors[0].positions)):
        boxes = scenario.boxes_for([a.positions[k] for a in actors])
        for i, (x1, y1, x2, y2) in enumerate(boxes):
            rows.append(f"{k + 1},{i + 1},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},1,-1,-1,-1\n")
    mot = tmp / "tracks.txt"
    mot.write_text("".join(rows))
    raw = att.config().model_dump(mode="json", exclude_none=True)
    raw["cameras"][0]["source"] = f"mot:{mot}"
    raw["metrics_port"] = 0
    config = tmp / "hall.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True))
    events, minutes = tmp / "events.jsonl", tmp / "minutes.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "run_pipeline.py",
            "--config",
            str(config),
            "--no-kafka",
            "--events-out",
            str(events),
            "--measurements-out",
            str(minutes),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    read = lambda p: [json.loads(line) for line in p.read_text().splitlines()]  # noqa: E731
    return actors, read(events), read(minutes)


def test_the_scenario_gives_exactly_the_expected_attendance_events(pipeline_run):
    actors, events, _ = pipeline_run
    expected = att.expected_events(actors)
    reasons = {(e.type, e.reason) for e in expected}
    assert reasons == {
        ("empty_post", "late_arrival"),
        ("empty_post", "early_leave"),
        ("empty_post", "absent"),
        ("citizen_waiting", "unattended"),
    }
    predicted = scenario.closed_events(events)
    f1, matches = scenario.event_f1(predicted, expected, start=att.START)
    assert f1 == 1.0, (
        [(m["type"], m["reason"], m["zone_id"], m["started_at"], m["ended_at"]) for m in predicted],
        expected,
    )
    frame = 1 / scenario.FPS
    for message, exp in matches:
        assert message["reason"] == exp.reason, (message, exp)
        start = (datetime.fromisoformat(message["started_at"]) - att.START).total_seconds()
        end = (datetime.fromisoformat(message["ended_at"]) - att.START).total_seconds()
        assert abs(start - exp.start_s) <= frame + 1e-6, (message, exp)
        assert abs(end - exp.end_s) <= frame + 1e-6, (message, exp)


def test_the_scenario_publishes_minutes_with_staffed_time_and_waits(pipeline_run):
    actors, _, minutes = pipeline_run
    assert len(minutes) == 15 and all(m["observed_s"] == pytest.approx(60) for m in minutes)
    for window in range(3):
        for k, m in enumerate(minutes):
            staffed = next(p["staffed_s"] for p in m["posts"] if p["window_id"] == f"w{window}")
            assert staffed == pytest.approx(att.staffed_seconds(actors, window, (60 * k, 60 * k + 60)), abs=0.21)
    waits = {w["window_id"]: w["wait_s"] for m in minutes for w in m["waits"]}
    expected = att.expected_waits(actors)
    assert set(waits) == set(expected) == {"w0", "w1"}
    for window, seconds in expected.items():
        assert waits[window] == pytest.approx(seconds, abs=0.21)
