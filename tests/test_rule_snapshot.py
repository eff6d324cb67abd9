"""A camera's rule state survives a move to another worker: snapshot, JSON, restore, continue —
the same events as one uninterrupted run, each opened and closed exactly once."""

from __future__ import annotations

import json

import pytest

from detectors.rules.engine import CameraRules
from domain.checkpoint import RuleCheckpoint
from streams.wire import BadMessage, decode, encode
from tests.helpers import T0, hall_config, obs, person, rect
from tests.rules_helpers import frames

ZONES = [
    {"id": "p1", "kind": "post", "window": "w1", "polygon": rect(100, 100, 300, 300)},
    {"id": "staff", "kind": "staff_area", "polygon": rect(0, 0, 1000, 450)},
    {"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)},
]
RULES = {
    "empty_post": {"after_s": 10, "return_s": 2},
    "staff_chatting": {"min_duration_s": 5, "clear_s": 2},
    "queue_crowding": {"min_duration_s": 3, "clear_s": 2},
}


def scene(t: float):
    people = []
    if not 5 <= t < 40:
        people.append(person(1, 2, 2))  # the clerk, away from 5 s to 40 s
    if 12 <= t < 30:
        people += [person(2, 5, 3), person(3, 6, 3)]  # two staff chatting
    if 20 <= t < 35:
        people += [person(4, 2, 7), person(5, 2.6, 7)]  # too close in the queue
    return obs(t, *people)


def run(split_at: float | None) -> list[dict]:
    cfg = hall_config(ZONES, rules=RULES)
    rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    out = []
    for t in frames(0, 50):
        if split_at is not None and abs(t - split_at) < 1e-9:
            # Through the wire, as a checkpoint travels: encoded, JSON bytes, decoded strictly.
            state = decode(RuleCheckpoint, json.dumps(encode(rules.snapshot())).encode())
            rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
            rules.restore(state)
        out += rules.step(scene(t))
    out += rules.finish()
    return [encode(v) for v in out]


def test_a_restored_camera_continues_every_episode():
    reference = run(None)
    assert {(m["type"], m["status"]) for m in reference} == {
        (t, s) for t in ("empty_post", "staff_chatting", "queue_crowding") for s in ("open", "closed")
    }
    for split in (8.0, 15.0, 22.0, 25.0, 33.0):  # before, while and after each episode opened
        assert run(split) == reference, split


def test_a_snapshot_of_another_camera_or_version_is_ignored():
    cfg = hall_config(ZONES, rules=RULES)
    rules = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    for t in frames(0, 20):
        rules.step(scene(t))
    state = rules.snapshot()
    fresh = CameraRules(cfg, cfg.cameras[0], clock=lambda: T0)
    fresh.restore(state.model_copy(update={"camera_id": "another"}))
    assert fresh.structure() == CameraRules(cfg, cfg.cameras[0]).structure()
    wire = encode(state)
    with pytest.raises(BadMessage, match="version"):  # another version is not this message
        decode(RuleCheckpoint, json.dumps({**wire, "version": 99}))
    assert fresh.last_time is None
    fresh.restore(state)
    assert fresh.structure() == rules.structure()


def test_the_checkpoint_schema_is_the_committed_one():
    """Other languages' consumers read streams/schemas/hallwatch.rule-state.v1.json; the committed file
    is the one the definition generates, with the rules' own key names (``_interval``)."""
    from streams.wire import SCHEMAS, schema_text

    text = (SCHEMAS / "hallwatch.rule-state.v1.json").read_text(encoding="utf-8")
    assert text == schema_text("hallwatch.rule-state.v1") and '"_interval"' in text
