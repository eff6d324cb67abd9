"""queue_crowding: too_close, line_crossed and over_capacity, one event per zone per episode."""

from __future__ import annotations

from tests.helpers import hall_config, obs, person, rect
from tests.rules_helpers import frames, run_rules

ZONES = [
    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)},
    {"id": "front", "kind": "service_area", "window": "w1", "polygon": rect(0, 0, 1000, 300)},
]


def config(**rule):
    base = {"min_distance_m": 1.0, "max_in_service_area": 1, "max_in_queue": None, "min_duration_s": 5, "clear_s": 3}
    return hall_config(
        ZONES,
        rules={
            "queue_crowding": {**base, **rule},
            "empty_post": {"enabled": False},
            "staff_chatting": {"enabled": False},
        },
    )


def test_too_close_just_under_one_metre():
    events = run_rules(config(), [obs(t, person(1, 2, 7), person(2, 2.99, 7)) for t in frames(0, 6)])
    opened, closed = events
    assert opened["reason"] == "too_close" and opened["zone_id"] == "queue"
    assert abs(opened["min_distance_m"] - 0.99) < 1e-6 and opened["duration_s"] == 5
    assert closed["closed_reason"] == "end_of_stream"


def test_exactly_one_metre_is_fine():
    assert run_rules(config(), [obs(t, person(1, 2, 7), person(2, 3, 7)) for t in frames(0, 30)]) == []


def test_line_crossed_when_two_are_past_the_line():
    one = [obs(t, person(1, 5, 1)) for t in frames(0, 10)]
    assert run_rules(config(), one) == []
    two = [obs(t, person(1, 5, 1), person(2, 7, 2)) for t in frames(0, 6)]
    opened = run_rules(config(), two)[0]
    assert opened["reason"] == "line_crossed" and opened["window_id"] == "w1" and opened["people"] == 2


def test_over_capacity_only_when_set():
    crowd = [obs(t, *(person(i, 1.5 * i, 8) for i in range(1, 6))) for t in frames(0, 6)]  # 5 people, 1.5 m apart
    assert run_rules(config(), crowd) == []
    opened = run_rules(config(max_in_queue=4), crowd)[0]
    assert opened["reason"] == "over_capacity" and opened["people"] == 5


def test_one_event_per_zone_per_episode_with_every_reason():
    close_then_crowd = [obs(t, person(1, 2, 7), person(2, 2.5, 7)) for t in frames(0, 3)] + [
        obs(t, *(person(i, 1.5 * i, 8) for i in range(1, 6))) for t in frames(3, 10)
    ]
    events = run_rules(config(max_in_queue=4), close_then_crowd)
    assert [e["status"] for e in events] == ["open", "closed"]
    assert events[0]["reason"] == "too_close" and events[1]["reasons"] == ["too_close", "over_capacity"]


def test_under_min_duration_is_nothing_and_gaps_split():
    short = [obs(t, person(1, 2, 7), person(2, 2.5, 7)) for t in frames(0, 4.8)]
    assert run_rules(config(), short) == []
    gap = (
        short
        + [obs(t, person(1, 2, 7), person(2, 5, 7)) for t in frames(4.8, 7.8)]
        + [obs(t, person(1, 2, 7), person(2, 2.5, 7)) for t in frames(7.8, 12.6)]
    )
    assert run_rules(config(), gap) == []  # 3 s gap = clear_s: two short episodes


def test_the_violation_reports_its_close_pairs_with_the_zones_own_distance():
    """A zone override of min_distance_m decides which pairs are reported (the overlay draws these)."""
    zones = [{**ZONES[0], "rules": {"queue_crowding": {"min_distance_m": 2.0}}}, ZONES[1]]
    cfg = hall_config(
        zones,
        rules={
            "queue_crowding": {"min_duration_s": 1, "clear_s": 3},
            "empty_post": {"enabled": False},
            "staff_chatting": {"enabled": False},
        },
    )
    people = (person(1, 2, 7), person(2, 3.5, 7), person(3, 7, 7))  # 1.5 m apart (< 2 m here, > 1 m globally)
    opened, closed = run_rules(cfg, [obs(t, *people) for t in frames(0, 2)])
    assert opened["reason"] == "too_close"
    assert opened["pairs"] == [{"track_ids": [1, 2], "distance_m": 1.5}]  # #3 is 3.5 m away: not a pair
    assert closed["pairs"] == opened["pairs"]
