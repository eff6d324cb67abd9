"""The evidence overlay draws what the violation reports, and nothing it recomputes."""
from __future__ import annotations

import dataclasses

import numpy as np

from detectors.rules.events import ClosePair
from ingest.evidence.overlay import RED, Titles, annotate
from streams.wire import violation_from_wire
from tests.alert_fixtures import violation_message
from tests.helpers import T0, hall_config, rect


def red(image: np.ndarray, x: int, y: int) -> bool:
    b, g, r = (int(v) for v in image[y, x])
    return r > 200 and g < 60 and b < 60


def test_pairs_and_people_come_from_the_violation():
    cfg = hall_config([{"id": "queue", "kind": "queue_area", "polygon": rect(0, 500, 1000, 1000)}])
    camera = cfg.cameras[0]
    v = dataclasses.replace(violation_from_wire(violation_message("e1", type="queue_crowding", reason="too_close",
                                                                  zone_id="queue", window_id=None)),
                            track_ids=(1, 2), people=2, pairs=(ClosePair((1, 2), 0.8),))
    # Three people on one line; the violation names the pair (1, 2) only.
    people = ((1, (100, 500, 140, 700), (1.2, 7)), (2, (300, 500, 340, 700), (3.2, 7)),
              (3, (600, 500, 640, 700), (6.2, 7)))
    image = annotate(np.full((1000, 1000, 3), 90, np.uint8), T0, people, camera, v, Titles("大厅", "摄像机"))
    assert red(image, 220, 700)  # the line between the feet of #1 and #2
    assert not red(image, 470, 700)  # no line to #3: not in the reported pairs
    assert red(image, 100, 600) and not red(image, 600, 600)  # #1 boxed red as involved, #3 not
    assert tuple(RED) == (0, 0, 255)


def test_zone_labels_name_the_kind_and_window_in_chinese():
    import numpy as np

    from configs.model import Zone
    from detectors.draw import draw_zones

    zones = [Zone(id="w1-post", kind="post", window="w1", polygon=[[0, 0], [50, 0], [50, 50]]),
             Zone(id="queue", kind="queue_area", polygon=[[60, 0], [99, 0], [99, 50]])]
    labels = draw_zones(np.zeros((100, 100, 3), np.uint8), zones, {"w1": "1号综合窗口"})
    assert [text for text, _, _ in labels] == ["岗位 · 1号综合窗口", "排队区"]
