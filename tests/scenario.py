"""A synthetic service hall with exact expected violations, and detection noise on top.

The hall (floor metres): three windows with their posts behind the counter (y 0.3..1.3), a staff
area behind the counter with a back office strip (y -2..1.5), service areas in front of each window
(y 1.7..2.7) and a queue area (y 3.2..9). A perspective camera looks at it from the public side.

Actors walk straight lines between waypoints at 1.2 m/s. The script produces, at known times:
an empty post (a clerk goes to the back office), two clerks chatting in the back office (which
also empties their two posts), a customer standing too close in the queue, and a customer
crossing the one-metre line. Expected events are read off the actors' clean paths with plain
geometric predicates (who is inside which rectangle, how far apart two actors are), not with the
rule engine, and the episode thresholds are chosen far from every duration in the script.

``noisy_detections`` renders the people as boxes through the camera and degrades them the way a
detector does: missed frames, occlusion bursts, jitter and one-frame false positives; identity
comes from the real tracker, so id switches happen as they would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from configs.loader import parse_config
from configs.model import HallwatchConfig
from detectors.detections import Detections
from ingest.frames import Frame
from ingest.scripted_hall import (  # the floor plan and camera the demo's scripted hall uses too
    FLOOR_REF,
    FPS,
    FRONTS,
    IMAGE_REF,
    POSTS,
    QUEUE,
    STAFF,
    Actor,
    boxes_for,
    in_rect,
    post_centre,
    rect_polygon,
)
from tests.helpers import T0

DURATION_S = 900.0  # the actors' default (ingest.scripted_hall.Actor)

RULES = {
    "empty_post": {"after_s": 60, "return_s": 5},
    "staff_chatting": {"min_people": 2, "radius_m": 1.5, "min_duration_s": 30, "clear_s": 5},
    "queue_crowding": {"min_distance_m": 1.0, "max_in_service_area": 1, "min_duration_s": 5, "clear_s": 3},
    "citizen_waiting": {"wait_s": 30, "clear_s": 5},
}


def build_actors() -> list[Actor]:
    a, b, c = post_centre(0), post_centre(1), post_centre(2)
    return [
        # Clerk A: to the back office and back (an empty post).
        Actor("clerk_a", [(0, *a), (200, 1.0, -1.5), (330, *a)]),
        # Clerks B and C: meet in the back office, 1 m apart, and chat (and leave their posts).
        Actor("clerk_b", [(0, *b), (400, 6.0, -1.0), (480, *b)]),
        Actor("clerk_c", [(0, *c), (400, 7.0, -1.0), (480, *c)]),
        # Customers being served at windows 0 and 1 all along.
        Actor("served_0", [(0, 1.25, 2.2)]),
        Actor("served_1", [(0, 4.25, 2.2)]),
        # A queue at 1.3 m spacing.
        Actor("queue_1", [(0, 4.5, 3.6)]),
        Actor("queue_2", [(0, 4.5, 4.9)]),
        Actor("queue_3", [(0, 4.5, 6.2)]),
        # A customer who stands 0.7 m behind the last one for 20 s (too close).
        # (Both wait to the side of the queue area, x > 9, until their moment.)
        Actor("pusher", [(0, 9.3, 8.8), (600, 5.2, 6.2), (625, 9.3, 8.8)]),
        # A customer who walks past the line to window 1 while someone is served (line crossed).
        Actor("crosser", [(0, 9.3, 6.5), (700, 9.3, 2.4), (706, 4.9, 2.4), (725, 9.3, 2.4), (735, 9.3, 6.5)]),
    ]


def config(start: datetime = T0) -> HallwatchConfig:
    zones = [
        {"id": z, "kind": "post", "window": f"w{i}", "polygon": rect_polygon(r)}
        for i, (z, r) in enumerate(POSTS.items())
    ]
    zones += [
        {"id": z, "kind": "service_area", "window": f"w{i}", "polygon": rect_polygon(r)}
        for i, (z, r) in enumerate(FRONTS.items())
    ]
    zones += [
        {"id": STAFF[0], "kind": "staff_area", "polygon": rect_polygon(STAFF[1])},
        {"id": QUEUE[0], "kind": "queue_area", "polygon": rect_polygon(QUEUE[1])},
    ]
    return parse_config(
        {
            "regions": [
                {"id": "c", "name": "市", "level": "city"},
                {"id": "k", "name": "县", "level": "county", "parent": "c"},
                {"id": "t", "name": "镇", "level": "township", "parent": "k"},
            ],
            "halls": [
                {"id": "sim-hall", "name": "模拟大厅", "region": "t", "windows": [{"id": f"w{i}"} for i in range(3)]}
            ],
            "cameras": [
                {
                    "id": "sim-cam",
                    "hall": "sim-hall",
                    "source": "mot:sim",
                    "frame_size": [1280, 720],
                    "source_fps": FPS,
                    "analysis_fps": FPS,
                    "start_time": start.isoformat(),
                    "calibration": {"image": IMAGE_REF.tolist(), "floor": FLOOR_REF.tolist()},
                    "zones": zones,
                }
            ],
            "rules": RULES,
        }
    )


# -- expected events from the clean paths ---------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    type: str
    zone_id: str
    start_s: float
    end_s: float


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[first, last] frame index of each run of True."""
    runs, start = [], None
    for i, value in enumerate(mask):
        if value and start is None:
            start = i
        if not value and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(mask) - 1))
    return runs


def expected_events(actors: list[Actor]) -> list[Expected]:
    by = {a.name: a.positions for a in actors}
    n = len(next(iter(by.values())))
    out = []
    clerks = {"p0": "clerk_a", "p1": "clerk_b", "p2": "clerk_c"}
    for zone, clerk in clerks.items():
        away = np.array([not in_rect(p, POSTS[zone]) for p in by[clerk]])
        for first, last in _runs(away):
            if (last + 1 - first) / FPS >= RULES["empty_post"]["after_s"]:
                out.append(Expected("empty_post", zone, first / FPS, (last + 1) / FPS))
    out += citizens_waiting(actors, RULES["citizen_waiting"]["wait_s"])
    dist = np.linalg.norm(by["clerk_b"] - by["clerk_c"], axis=1)
    for first, last in _runs(dist <= RULES["staff_chatting"]["radius_m"]):
        if (last - first) / FPS >= 10:
            out.append(Expected("staff_chatting", "staff", first / FPS, last / FPS))
    close = np.linalg.norm(by["pusher"] - by["queue_3"], axis=1) < RULES["queue_crowding"]["min_distance_m"]
    for first, last in _runs(close):
        out.append(Expected("queue_crowding", "queue", first / FPS, last / FPS))
    crossing = np.array([in_rect(p, FRONTS["front1"]) for p in by["crosser"]])
    for first, last in _runs(crossing):
        out.append(Expected("queue_crowding", "front1", first / FPS, last / FPS))
    assert n == int(DURATION_S * FPS)
    return sorted(out, key=lambda e: e.start_s)


def citizens_waiting(actors: list[Actor], wait_s: float, windows: range = range(3)) -> list[Expected]:
    """Someone in front of window i while nobody is at its post, for at least ``wait_s``: from
    the first to the last frame both hold."""
    out = []
    for i in windows:
        in_front = np.array([[in_rect(p, FRONTS[f"front{i}"]) for p in a.positions] for a in actors]).any(axis=0)
        at_post = np.array([[in_rect(p, POSTS[f"p{i}"]) for p in a.positions] for a in actors]).any(axis=0)
        for first, last in _runs(in_front & ~at_post):
            if (last - first) / FPS >= wait_s:
                out.append(Expected("citizen_waiting", f"front{i}", first / FPS, last / FPS))
    return out


# -- frames: clean tracks or noisy detections -----------------------------------------------------
def clean_frames(actors: list[Actor], start: datetime = T0) -> list[Frame]:
    """Perfect tracks: every actor, every frame, its own id."""
    frames = []
    n = len(actors[0].positions)
    for i in range(n):
        floor = np.array([a.positions[i] for a in actors])
        boxes = boxes_for(floor)
        det = Detections(boxes, np.ones(len(actors)), np.arange(1, len(actors) + 1))
        frames.append(Frame("sim-cam", i + 1, start + timedelta(seconds=i / FPS), None, det))
    return frames


def noisy_frames(
    actors: list[Actor],
    seed: int,
    start: datetime = T0,
    miss: float = 0.1,
    burst_rate: float = 0.003,
    jitter: float = 0.03,
    false_positives: float = 0.05,
) -> list[Frame]:
    """Untracked detections as a real detector gives them (ids -1, scores < 1)."""
    rng = np.random.default_rng(seed)
    n = len(actors[0].positions)
    hidden_until = np.zeros(len(actors))
    frames = []
    for i in range(n):
        t = i / FPS
        floor = np.array([a.positions[i] for a in actors])
        boxes = boxes_for(floor)
        starts = rng.random(len(actors)) < burst_rate
        hidden_until[starts] = t + rng.uniform(0.5, 2.0, starts.sum())
        visible = (rng.random(len(actors)) >= miss) & (hidden_until <= t)
        boxes = boxes[visible]
        h = (boxes[:, 3] - boxes[:, 1])[:, None]
        boxes = boxes + rng.normal(0, 1, boxes.shape) * jitter * h
        scores = rng.uniform(0.55, 0.95, len(boxes))
        if rng.random() < false_positives:  # a one-frame ghost somewhere on the floor
            ghost = boxes_for(rng.uniform([0, -2], [9, 9], size=(1, 2)))
            boxes = np.vstack([boxes, ghost])
            scores = np.append(scores, rng.uniform(0.5, 0.7))
        det = Detections(boxes, scores, np.full(len(boxes), -1))
        frames.append(Frame("sim-cam", i + 1, start + timedelta(seconds=t), None, det))
    return frames


# -- scoring --------------------------------------------------------------------------------------
def closed_events(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["status"] == "closed"]


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else float(a == b)


def event_f1(
    predicted: list[dict], expected: list[Expected], start: datetime = T0, min_iou: float = 0.5
) -> tuple[float, list[tuple[dict, Expected]]]:
    """F1 of closed events against expected ones: same type and zone, time-interval IoU >= min_iou."""

    def seconds(iso: str) -> float:
        return (datetime.fromisoformat(iso) - start).total_seconds()

    unmatched = list(expected)
    matches = []
    for p in predicted:
        span = (seconds(p["started_at"]), seconds(p["ended_at"]))
        best = max(
            (e for e in unmatched if e.type == p["type"] and e.zone_id == p["zone_id"]),
            key=lambda e: _iou(span, (e.start_s, e.end_s)),
            default=None,
        )
        if best is not None and _iou(span, (best.start_s, best.end_s)) >= min_iou:
            unmatched.remove(best)
            matches.append((p, best))
    tp = len(matches)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, matches
