"""The evidence overlay draws what the violation reports, and nothing it recomputes: the overlay
data the pipeline writes, rendered as the annotated export burns it in."""

from __future__ import annotations

import dataclasses

import numpy as np

from domain.events import ClosePair, Violation
from ingest.evidence.overlay import Titles, overlay_data
from ingest.evidence.track_ring import TrackFrame
from streams.evidence.overlay import frame_at, render
from streams.wire import decode
from tests.alert_fixtures import violation_message
from tests.helpers import T0, hall_config, rect


def red(image: np.ndarray, x: int, y: int) -> bool:
    b, g, r = (int(v) for v in image[y, x])
    return r > 200 and g < 60 and b < 60


def crowding(people: tuple, zones=None):
    cfg = hall_config(zones or [{"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)}])
    v = dataclasses.replace(
        decode(
            Violation,
            violation_message("e1", type="queue_crowding", reason="too_close", zone_id="queue", window_id=None),
        ),
        track_ids=(1, 2),
        people=2,
        pairs=(ClosePair((1, 2), 0.8),),
    )
    frames = [TrackFrame(T0, 1, people)]
    return overlay_data(
        cfg.cameras[0],
        v,
        Titles("大厅", "摄像机", None, {"w1": "1号综合窗口"}),
        frames,
        T0,
        (1000, 1000),
        "open_raw.mp4",
    )


def test_pairs_and_people_come_from_the_violation():
    # Three people on one line; the violation names the pair (1, 2) only.
    people = (
        (1, (100, 500, 140, 700), (1.2, 7)),
        (2, (300, 500, 340, 700), (3.2, 7)),
        (3, (600, 500, 640, 700), (6.2, 7)),
    )
    overlay = crowding(people)
    image = render(np.full((1000, 1000, 3), 90, np.uint8), overlay, frame_at(overlay, 0.0))
    assert red(image, 220, 700)  # the line between the feet of #1 and #2
    assert not red(image, 470, 700)  # no line to #3: not in the reported pairs
    assert red(image, 100, 600) and not red(image, 600, 600)  # #1 boxed red as involved, #3 not


def test_render_scales_to_the_video_it_draws_on():
    """The overlay is in the source's pixels; an export at another size draws in the same place."""
    overlay = crowding(((1, (100, 500, 140, 700), None), (2, (300, 500, 340, 700), None)))
    image = render(np.full((500, 500, 3), 90, np.uint8), overlay, frame_at(overlay, 0.0))
    assert red(image, 50, 300) and red(image, 110, 350)  # #1's box edge and the pair's line, at half scale


def test_frame_at_shows_the_latest_analysed_frame():
    overlay = {"frames": [{"t": 0.0}, {"t": 0.2}, {"t": 0.4}]}
    assert frame_at(overlay, -0.1) is None
    assert (
        frame_at(overlay, 0.0)["t"] == 0.0 and frame_at(overlay, 0.3)["t"] == 0.2 and frame_at(overlay, 9)["t"] == 0.4
    )


def test_zone_labels_name_the_kind_and_window_in_chinese():
    overlay = crowding(
        (),
        [
            {"id": "w1-post", "kind": "post", "window": "w1", "polygon": rect(0, 0, 50, 50)},
            {"id": "queue", "kind": "queue_area", "polygon": rect(60, 0, 99, 50)},
        ],
    )
    assert [z["label"] for z in overlay["zones"]] == ["岗位 · 1号综合窗口", "排队区"]
    assert [z["violation"] for z in overlay["zones"]] == [False, True]
