"""empty_post at the edges of after_s, return_s, service periods, absences and end of stream."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.events import Absence
from tests.helpers import T0, TZ, hall_config, obs, person, rect
from tests.rules_helpers import frames, run_rules

POST = {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 300, 300)}
AT_POST = (2.0, 2.0)  # metres: inside the post
AWAY = (8.0, 8.0)


def config(after_s=300, return_s=5, schedule=None):
    return hall_config([POST], rules={"empty_post": {"after_s": after_s, "return_s": return_s}}, schedule=schedule)


def timeline(segments: list[tuple[float, float, bool]], t0: datetime = T0, fps: float = 5.0):
    """(start_s, end_s, someone_at_post) segments."""
    out = []
    for start, end, present in segments:
        for t in frames(start, end, fps):
            out.append(obs(t, person(1, *(AT_POST if present else AWAY)), t0=t0))
    return out


def at(seconds: float, t0: datetime = T0) -> str:
    return (t0 + timedelta(seconds=seconds)).isoformat()


def test_violation_opens_at_after_s_and_closes_at_the_return():
    events = run_rules(config(), timeline([(0, 400, False), (400, 410, True)]))
    opened, closed = events
    assert opened["status"] == "open" and opened["type"] == "empty_post"
    assert opened["started_at"] == at(0) and opened["ended_at"] is None and opened["duration_s"] == 300
    assert closed["status"] == "closed" and closed["event_id"] == opened["event_id"]
    assert closed["ended_at"] == at(400) and closed["closed_reason"] == "returned"
    assert closed["duration_s"] == 400


def test_just_under_after_s_is_no_violation():
    # Empty for 299.8 s (last empty frame at 299.6), back at 299.8 for good.
    assert run_rules(config(), timeline([(0, 299.8, False), (299.8, 320, True)])) == []


def test_exactly_after_s_is_a_violation():
    events = run_rules(config(), timeline([(0, 300, False), (300, 320, True)]))
    assert [e["status"] for e in events] == ["open", "closed"]
    assert events[1]["ended_at"] == at(300) and events[1]["duration_s"] == 300


def test_episode_starts_at_first_unoccupied_frame():
    events = run_rules(config(), timeline([(0, 10, True), (10, 320, False)]))
    assert events[0]["started_at"] == at(10)


def test_short_return_does_not_end_the_episode():
    # Back for 4.8 s (< return_s 5) at 100 s: the episode that began at 0 goes on.
    events = run_rules(config(), timeline([(0, 100, False), (100, 104.8, True), (104.8, 310, False)]))
    assert events[0]["started_at"] == at(0)
    assert events[0]["status"] == "open"


def test_return_of_exactly_return_s_ends_the_episode():
    events = run_rules(config(), timeline([(0, 100, False), (100, 105.2, True), (105.2, 310, False)]))
    assert events == []  # the return at 100 s lasted 5 s: the 100 s episode ended, the next is too short


def test_closes_at_end_of_stream_at_the_last_frame():
    events = run_rules(config(after_s=10), timeline([(0, 30, False)]))
    assert events[1]["closed_reason"] == "end_of_stream"
    assert events[1]["ended_at"] == at(29.8)


SCHEDULE = {
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "periods": [["08:30", "12:00"], ["13:30", "17:30"]]}],
    "holidays": {"use_prc_calendar": False},
}


def test_clipped_to_service_start_and_closed_at_service_end():
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # empty from 08:00, service from 08:30
    events = run_rules(config(schedule=SCHEDULE), timeline([(0, 21600, False)], t0=t0, fps=1), finish=False)
    first, second, third = events[:3]
    assert first["started_at"] == "2026-03-02T08:30:00+08:00" and first["status"] == "open"
    assert second["ended_at"] == "2026-03-02T12:00:00+08:00" and second["closed_reason"] == "service_end"
    # After lunch the still-empty post opens a new violation clipped to 13:30.
    assert third["started_at"] == "2026-03-02T13:30:00+08:00" and third["status"] == "open"
    assert third["event_id"] != first["event_id"]


def test_nothing_outside_service_hours():
    t0 = datetime(2026, 3, 2, 12, 0, tzinfo=TZ)  # the lunch break, 90 minutes
    assert run_rules(config(schedule=SCHEDULE), timeline([(0, 5400, False)], t0=t0, fps=1)) == []


def test_registered_absence_suppresses_and_the_close_says_why():
    absence = Absence(
        "a1", "hall", T0 + timedelta(minutes=10), T0 + timedelta(minutes=20), "到县局开会", "admin", window_id="w1"
    )
    events = run_rules(config(), timeline([(0, 1800, False)], fps=1), absences=lambda: [absence])
    opened, closed, reopened, final = events
    assert opened["started_at"] == at(0)
    assert closed["closed_reason"] == "absence" and closed["ended_at"] == at(600)
    assert closed["suppressed"]["reason"] == "到县局开会" and closed["suppressed"]["registered_by"] == "admin"
    assert reopened["started_at"] == at(1200)  # clipped to the end of the absence
    assert reopened["status"] == "open" and final["closed_reason"] == "end_of_stream"


def test_absence_for_another_window_changes_nothing():
    absence = Absence("a1", "hall", T0, T0 + timedelta(hours=1), "病假", "admin", window_id="w2")
    events = run_rules(config(), timeline([(0, 400, False)]), absences=lambda: [absence])
    assert events[0]["started_at"] == at(0)


def test_occupied_post_never_opens():
    assert run_rules(config(after_s=1), timeline([(0, 100, True)])) == []


def test_a_camera_outage_ends_the_violation_at_the_last_frame_and_restarts_the_rule():
    from detectors.rules.engine import CameraRules
    from streams.wire import encode

    cfg = config(after_s=10, return_s=2)
    rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    events = []
    for o in timeline([(0, 30, False)]):
        events += rules.step(o)
    events += rules.interrupt()  # no frames since 29.8 s
    assert rules.interrupt() == []  # nothing left open
    for o in timeline([(100, 105, False)]):  # back after the outage, still nobody there
        events += rules.step(o)
    events += rules.finish()
    wire = [encode(v) for v in events]
    assert [(m["status"], m["closed_reason"]) for m in wire] == [("open", None), ("closed", "camera_offline")]
    assert wire[1]["ended_at"] == at(29.8) and wire[1]["duration_s"] == 29.8  # the unseen time is not counted
    events = []
    for o in timeline([(106, 120, False)]):
        events += rules.step(o)
    assert events and events[0].started_at == T0 + timedelta(seconds=100)  # afresh, from the first frame back
