"""staff_chatting: single-linkage groups by floor distance, the post-zone exemption, persistence."""

from __future__ import annotations

from tests.helpers import hall_config, obs, person, rect
from tests.rules_helpers import frames, run_rules

ZONES = [
    {"id": "staff", "kind": "staff_area", "polygon": rect(0, 0, 1000, 1000)},
    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 200, 200)},
    {"id": "p2", "kind": "post", "window": "w2", "polygon": rect(200, 100, 300, 200)},
]


def config(**rule):
    base = {"min_people": 2, "radius_m": 1.5, "min_duration_s": 60, "clear_s": 5}
    return hall_config(ZONES, rules={"staff_chatting": {**base, **rule}, "empty_post": {"enabled": False}})


def pair(t, a, b, ids=(1, 2)):
    return obs(t, person(ids[0], *a), person(ids[1], *b))


def test_two_people_within_radius_for_min_duration():
    events = run_rules(config(), [pair(t, (5, 5), (6.4, 5)) for t in frames(0, 61)])
    opened, closed = events
    assert opened["type"] == "staff_chatting" and opened["started_at"].endswith("09:00:00+08:00")
    assert opened["duration_s"] == 60 and opened["people"] == 2 and opened["track_ids"] == [1, 2]
    assert closed["ended_at"].endswith("09:01:00.800000+08:00")  # last qualifying frame


def test_just_beyond_radius_is_no_group():
    assert run_rules(config(), [pair(t, (5, 5), (6.51, 5)) for t in frames(0, 120)]) == []


def test_single_linkage_chains_people():
    # 1.4 m steps: the ends are 2.8 m apart but linked through the middle person.
    chain = [obs(t, person(1, 4, 5), person(2, 5.4, 5), person(3, 6.8, 5)) for t in frames(0, 61)]
    opened = run_rules(config(min_people=3), chain)[0]
    assert opened["people"] == 3


def test_just_under_min_duration_is_nothing():
    assert run_rules(config(), [pair(t, (5, 5), (6, 5)) for t in frames(0, 59.8)]) == []


def test_clerks_each_at_their_own_adjacent_post_are_not_chatting():
    assert run_rules(config(), [pair(t, (1.5, 1.5), (2.5, 1.5)) for t in frames(0, 120)]) == []


def test_two_people_in_the_same_post_are_chatting():
    events = run_rules(config(), [pair(t, (1.3, 1.5), (1.7, 1.5)) for t in frames(0, 61)])
    assert events[0]["type"] == "staff_chatting"


def test_one_at_post_and_a_visitor_from_another_post():
    # One clerk at p1, another standing outside any post next to them: a gathering.
    events = run_rules(config(), [pair(t, (1.5, 1.5), (1.5, 2.5)) for t in frames(0, 61)])
    assert events and events[0]["people"] == 2


def test_gaps_shorter_than_clear_s_do_not_split():
    together = lambda t: pair(t, (5, 5), (6, 5))  # noqa: E731
    apart = lambda t: pair(t, (5, 5), (9, 5))  # noqa: E731
    # Last together at 29.8 s, next at 34.6 s: a 4.8 s gap < clear_s.
    seq = (
        [together(t) for t in frames(0, 30)]
        + [apart(t) for t in frames(30, 34.6)]
        + [together(t) for t in frames(34.6, 62)]
    )
    events = run_rules(config(), seq)
    assert [e["status"] for e in events] == ["open", "closed"]
    assert events[0]["started_at"].endswith("09:00:00+08:00")


def test_gap_of_clear_s_splits_the_episode():
    together = lambda t: pair(t, (5, 5), (6, 5))  # noqa: E731
    apart = lambda t: pair(t, (5, 5), (9, 5))  # noqa: E731
    # Last together at 29.8 s, next at 34.8 s: a 5 s gap = clear_s -> two 30 s episodes, no violation.
    seq = (
        [together(t) for t in frames(0, 30)]
        + [apart(t) for t in frames(30, 34.8)]
        + [together(t) for t in frames(34.8, 64.6)]
    )
    assert run_rules(config(), seq) == []


def test_the_violation_says_how_much_rests_on_the_detector():
    """Every other frame one of the two is a track held through a missed detection: half of the
    appearances of #2, a quarter of all, were not seen by the detector."""
    from detectors.rules.engine import Person
    from tests.helpers import obs as observe

    def frame(t, i):
        held = i % 2 == 1
        return observe(
            t,
            Person(1, (500, 500), (5, 5), True, 0.9),
            Person(2, (640, 500), (6.4, 5), not held, 0.7 if not held else 0.0),
        )

    events = run_rules(config(min_duration_s=3), [frame(t, i) for i, t in enumerate(frames(0, 4))])
    closed = events[-1]
    assert closed["detection"]["frames"] == 20
    assert closed["detection"]["detected_share"] == 0.75
    assert abs(closed["detection"]["mean_score"] - (10 * 0.7 + 20 * 0.9) / 30) < 1e-3
