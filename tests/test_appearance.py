"""People's looks in the tracker (detectors/appearance.py): what they decide and what they never do."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.model import TrackerConfig
from detectors import appearance
from detectors.detections import Detections
from detectors.tracking import PersonTracker

RED, BLUE, GREY = (40, 40, 200), (200, 60, 40), (128, 128, 128)  # BGR


def picture(people: list[tuple[tuple[int, int, int, int], tuple[int, int, int]]]) -> np.ndarray:
    image = np.full((480, 640, 3), GREY, np.uint8)
    for (x1, y1, x2, y2), colour in people:
        image[y1:y2, x1:x2] = colour
    return image


def boxes(*xyxy: tuple[int, int, int, int]) -> Detections:
    return Detections(np.array(xyxy, float), np.full(len(xyxy), 0.9), np.full(len(xyxy), -1))


def follow(weight: float) -> str:
    """Red stands left of blue for four frames; then red steps left and blue steps into red's
    place: blue's new box overlaps red's old one more (IoU 0.54) than red's own new box does (0.18).
    Whom red's id follows now: "red" or "blue"."""
    tracker = PersonTracker(TrackerConfig(appearance_weight=weight), analysis_fps=2)
    red, blue = (100, 100, 200, 300), (230, 100, 330, 300)
    for _ in range(4):
        people = tracker.update(boxes(red, blue), picture([(red, RED), (blue, BLUE)]))
    red_id = next(p.track_id for p in people if abs(p.xyxy[0] - red[0]) < 5)
    red, blue = (30, 100, 130, 300), (130, 100, 230, 300)
    people = tracker.update(boxes(red, blue), picture([(red, RED), (blue, BLUE)]))
    (box,) = [p.xyxy for p in people if p.track_id == red_id and p.detected]  # the filtered box
    return "red" if abs(box[0] - red[0]) < abs(box[0] - blue[0]) else "blue"


def test_a_look_decides_between_people_the_boxes_cannot_tell_apart():
    assert follow(weight=0.3) == "red"
    assert follow(weight=0.0) == "blue"  # boxes alone: red's id went to blue, who stepped into its place


def test_without_the_frame_the_tracker_matches_by_boxes_alone():
    """Replayed detections (mot: sources) have no frame: the looks are off, nothing else changes."""
    with_looks = PersonTracker(TrackerConfig(appearance_weight=0.3), analysis_fps=5)
    boxes_only = PersonTracker(TrackerConfig(appearance_weight=0.0), analysis_fps=5)
    rng = np.random.default_rng(3)
    for step in range(30):
        xyxy = np.array([[100 + 4 * step, 100, 180 + 4 * step, 300], [400 - 3 * step, 120, 470 - 3 * step, 330]])
        d = Detections(xyxy + rng.normal(0, 3, xyxy.shape), np.array([0.9, 0.8]), np.full(2, -1))
        a, b = with_looks.update(d), boxes_only.update(d)
        assert [(p.track_id, p.detected) for p in a] == [(p.track_id, p.detected) for p in b]
        for p, q in zip(a, b):
            np.testing.assert_array_equal(p.xyxy, q.xyxy)


def test_the_same_colours_are_near_and_other_colours_far():
    image = picture([((100, 100, 200, 300), RED), ((300, 100, 400, 300), BLUE), ((500, 100, 600, 300), RED)])
    red, blue, red_again = appearance.describe(
        image, np.array([[100, 100, 200, 300], [300, 100, 400, 300], [500, 100, 600, 300]])
    )
    assert red is not None and blue is not None and red_again is not None
    d = appearance.distances([red], [red_again, blue])
    assert d[0, 0] < 0.05 and d[0, 1] > 0.9


coordinate = st.one_of(st.floats(-2000, 2000), st.sampled_from([float("nan"), float("inf"), -float("inf")]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate, coordinate, coordinate), max_size=6), st.integers(0, 2**32 - 1))
def test_any_box_gives_a_look_or_none_and_distances_stay_in_range(raw, seed):
    """Boxes anywhere — outside the frame, inverted, a pixel wide, not finite — never fail: a look whose parts
    each sum to 1, or None; distances symmetric in [0, 1], NaN only where a look is unknown; the
    blended cost is the overlap cost wherever the boxes do not overlap or a look is unknown."""
    image = np.random.default_rng(seed).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    looks = appearance.describe(image, np.array(raw, float).reshape(-1, 4))
    assert len(looks) == len(raw)
    for look in looks:
        if look is not None:
            assert look.shape == (len(appearance.PARTS), int(np.prod(appearance.BINS)))
            np.testing.assert_allclose(look.sum(axis=1), 1.0, atol=1e-5)
    d = appearance.distances(looks, looks)
    known = ~np.isnan(d)
    assert np.all((d[known] >= 0) & (d[known] <= 1))
    np.testing.assert_allclose(d, d.T, atol=1e-9)
    unknown = [i for i, look in enumerate(looks) if look is None]
    assert np.isnan(d[unknown, :]).all() and np.isnan(d[:, unknown]).all()
    cost = np.random.default_rng(seed).uniform(0, 1.2, d.shape).astype(np.float32)
    blended = appearance.blend(cost, d, 0.3)
    untouched = np.isnan(d) | (cost >= 1)
    np.testing.assert_array_equal(blended[untouched], cost[untouched])
    assert blended.dtype == cost.dtype


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate, coordinate, coordinate), max_size=5), st.integers(0, 3))
def test_the_tracker_takes_any_detections_with_their_frame(raw, repeats):
    """Duplicated boxes (a detector's twin hits), boxes outside the frame or not finite: the tracker
    with looks goes on, frame after frame, and reports only finite boxes."""
    tracker = PersonTracker(TrackerConfig(appearance_weight=0.3), analysis_fps=5)
    image = np.random.default_rng(len(raw)).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    xyxy = np.array(raw * (repeats + 1), float).reshape(-1, 4)
    for step in range(3):
        d = Detections(xyxy + step, np.full(len(xyxy), 0.9), np.full(len(xyxy), -1))
        for person in tracker.update(d, image):
            assert np.isfinite(person.xyxy).all()
