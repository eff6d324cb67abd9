"""Where a camera looks for people: the zones and room for the bodies of the people in them,
learnt from the camera's own detections; the whole frame until then, when a body may not fit,
and every REFRESH_S."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from configs.model import Camera
from detectors.base import detect_in_regions
from detectors.detections import Detections
from ingest.detection_area import LEARN_BOXES, REFRESH_S, DetectionArea

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
W, H = 768, 576


def camera(**extra) -> Camera:
    zones = [
        {"id": "p", "kind": "post", "window": "w1", "polygon": [[300, 300], [400, 300], [400, 380], [300, 380]]},
        {"id": "q", "kind": "queue_area", "polygon": [[350, 350], [500, 350], [500, 450], [350, 450]]},
    ]
    return Camera.model_validate({"id": "c", "hall": "h", "source": "x.mp4", "zones": zones, **extra})


def people(heights: list[float], top: float = 320.0) -> Detections:
    xyxy = np.array([[320 + 10 * i, top, 350 + 10 * i, top + h] for i, h in enumerate(heights)], float)
    return Detections(xyxy.reshape(-1, 4), np.full(len(heights), 0.9), np.full(len(heights), -1))


def learnt(area: DetectionArea, height: float = 100.0) -> None:
    area.region(W, H, T0)
    area.observe(people([height] * LEARN_BOXES))


def test_the_whole_frame_until_enough_people_were_seen_then_the_zones_and_room_for_bodies():
    area = DetectionArea(camera())
    assert area.region(W, H, T0) is None
    area.observe(people([100.0] * (LEARN_BOXES - 1)))
    assert area.region(W, H, T0 + timedelta(seconds=1)) is None  # one person short
    area.observe(people([100.0]))
    # The first region after learning: zones x 300..500, y 300..450; 1.2 heights above, half a
    # height to the sides and below.
    assert area.region(W, H, T0 + timedelta(seconds=2)) == (250, 180, 550, 500)


def test_a_region_never_leaves_the_frame_and_shrinks_nothing_it_learnt():
    area = DetectionArea(camera())
    learnt(area, height=400.0)
    x0, y0, x1, y1 = area.region(W, H, T0 + timedelta(seconds=1))
    assert (x0, y0) == (100, 0) and (x1, y1) == (700, H)
    area.observe(people([50.0] * 100))  # small people later do not shrink the room for tall ones
    assert area.region(W, H, T0 + timedelta(seconds=2))[1] == 0


def test_a_body_cut_by_the_regions_top_asks_for_the_whole_frame_once():
    area = DetectionArea(camera())
    learnt(area)
    region = area.region(W, H, T0 + timedelta(seconds=1))
    assert region is not None
    area.observe(people([150.0], top=region[1]))  # its head at the region's edge: maybe taller
    assert area.region(W, H, T0 + timedelta(seconds=2)) is None
    area.observe(people([260.0], top=100))  # seen whole: learnt
    assert area.region(W, H, T0 + timedelta(seconds=3)) is not None


def test_the_whole_frame_is_looked_at_again_every_refresh():
    area = DetectionArea(camera())
    learnt(area)
    seen = [area.region(W, H, T0 + timedelta(seconds=s)) for s in range(1, int(3 * REFRESH_S) + 2)]
    whole = [s for s, region in enumerate(seen, start=1) if region is None]
    assert whole == [1 + int(REFRESH_S), 1 + int(2 * REFRESH_S), 1 + int(3 * REFRESH_S)]


@pytest.mark.parametrize("extra", [{"detection_area": "frame"}, {"zones": []}])
def test_whole_frame_cameras_and_cameras_without_zones_always_look_everywhere(extra):
    area = DetectionArea(camera(**extra))
    learnt(area)
    assert all(area.region(W, H, T0 + timedelta(seconds=s)) is None for s in range(1, 40))


def test_detectors_that_take_whole_images_get_the_region_cut_out_and_boxes_moved_back():
    image = np.zeros((H, W, 3), np.uint8)
    seen_shapes = []

    def detect(images):
        seen_shapes.extend(i.shape[:2] for i in images)
        return [people([50.0], top=10) for _ in images]

    whole, cut = detect_in_regions(detect, [image, image], [None, (100, 200, 300, 400)])
    assert seen_shapes == [(H, W), (200, 200)]
    assert np.allclose(cut.xyxy - whole.xyxy, [100, 200, 100, 200])


@pytest.mark.parametrize("batched", [False, True])
def test_the_shared_detector_carries_each_cameras_region_and_answers_each_camera(batched):
    """Frames of several camera threads go through one detector: each gets its own answer, found
    in its own region, whether the detector shares calls (YOLO) or runs one image at a time."""
    import threading

    from detectors.batching import BatchingDetector

    class Recording:
        name = "recording"

        def __init__(self):
            self.batched = batched
            self.max_batch = 3  # the detector's own limit, unless the config sets one
            self.calls: list[int] = []

        def detect(self, images, regions=None):
            self.calls.append(len(images))
            regions = regions or [None] * len(images)
            return [
                people([float(i.shape[0])]) if r is None else people([float(r[3] - r[1])])
                for i, r in zip(images, regions)
            ]

    inner = Recording()
    shared = BatchingDetector(inner)
    answers: dict[int, float] = {}

    def camera(k: int) -> None:
        image = np.zeros((100 + k, 50, 3), np.uint8)
        (found,) = shared.detect([image], [None if k % 2 else (0, 0, 40, 10 + k)])
        answers[k] = float(found.xyxy[0, 3] - found.xyxy[0, 1])

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert answers == {k: float(100 + k if k % 2 else 10 + k) for k in range(8)}
    assert sum(inner.calls) == 8 and shared.batched is batched
    assert shared.max_batch == 3 and max(inner.calls) <= 3
    assert BatchingDetector(inner, max_batch=1).max_batch == 1  # detector.max_batch
