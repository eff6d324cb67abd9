"""The synthetic hall: exact events on clean tracks, reported F1 on noisy detections."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.analysis import CameraAnalysis
from streams.wire import encode
from tests import scenario
from tests.helpers import T0


def run(frames) -> list[dict]:
    cfg = scenario.config()
    analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=lambda m: None)
    messages = []
    for frame in frames:
        messages += map(encode, analysis.process(frame))
    messages += map(encode, analysis.finish())
    return messages


@pytest.fixture(scope="module")
def actors():
    return scenario.build_actors()


def test_expected_events_cover_every_rule(actors):
    expected = scenario.expected_events(actors)
    kinds = {(e.type, e.zone_id) for e in expected}
    assert kinds == {
        ("empty_post", "p0"),
        ("empty_post", "p1"),
        ("empty_post", "p2"),
        ("staff_chatting", "staff"),
        ("queue_crowding", "queue"),
        ("queue_crowding", "front1"),
        ("citizen_waiting", "front0"),
        ("citizen_waiting", "front1"),
    }


def test_clean_tracks_give_exactly_the_expected_events(actors):
    expected = scenario.expected_events(actors)
    predicted = scenario.closed_events(run(scenario.clean_frames(actors)))
    f1, matches = scenario.event_f1(predicted, expected)
    assert f1 == 1.0, (predicted, expected)
    frame = 1 / scenario.FPS
    for message, exp in matches:
        start = (datetime.fromisoformat(message["started_at"]) - T0).total_seconds()
        end = (datetime.fromisoformat(message["ended_at"]) - T0).total_seconds()
        assert abs(start - exp.start_s) <= frame + 1e-6, (message, exp)
        assert abs(end - exp.end_s) <= frame + 1e-6, (message, exp)


@pytest.mark.slow
def test_noisy_detections_through_the_tracker(actors, record_property):
    """Missed frames, occlusion bursts, jitter and ghosts: reported, and must stay useful."""
    expected = scenario.expected_events(actors)
    scores = []
    for seed in (1, 2, 3):
        predicted = scenario.closed_events(run(scenario.noisy_frames(actors, seed)))
        f1, _ = scenario.event_f1(predicted, expected)
        scores.append(f1)
    mean = sum(scores) / len(scores)
    record_property("noisy_event_f1", mean)
    print(f"noisy scenario event F1 per seed: {scores}, mean {mean:.3f}")
    assert mean >= 0.8
