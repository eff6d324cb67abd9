"""A still detection area keeps the people the detector last found there for at most
``camera.still_recheck_s``; anything that moves in it, or the time running out, makes the detector
look again. Noise is not motion; a person-sized change anywhere in the area is."""

from __future__ import annotations

from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.model import Camera, DetectorConfig
from detectors.detections import Detections
from detectors.factory import build_detector
from detectors.models import nanodet_path
from ingest.detection_area import DetectionArea
from ingest.motion import MotionGate
from tests.test_detectors import VTEST, frames, needs_footage

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
W, H = 768, 576
REGION = (200, 150, 600, 450)


class CountingDetector:
    """Returns one box per call, numbered by the call: which call's boxes a frame got."""

    name = "counting"
    batched = False
    max_batch = 1

    def __init__(self):
        self.calls = 0

    def detect(self, images, regions=None):
        self.calls += 1
        box = np.array([[10.0 * self.calls, 10.0, 10.0 * self.calls + 30, 90.0]])
        return [Detections(box, np.array([0.9]), np.array([-1])) for _ in images]


def hall(seed: int = 0) -> np.ndarray:
    """A textured still scene (a flat picture would hide nothing)."""
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(40, 200, (H, W, 3), dtype=np.uint8), (9, 9), 0)


def camera(recheck_s: float, **extra) -> Camera:
    return Camera.model_validate(
        {"id": "c", "hall": "h", "source": "x.mp4", "detection_area": "frame", "still_recheck_s": recheck_s, **extra}
    )


def with_person(image: np.ndarray, x: int, y: int, w: int = 12, h: int = 30, shade: int = 40) -> np.ndarray:
    out = image.copy()
    out[y : y + h, x : x + w] = np.clip(out[y : y + h, x : x + w].astype(int) + shade, 0, 255).astype(np.uint8)
    return out


def test_a_still_scene_is_looked_at_once_per_recheck_and_keeps_what_was_found():
    area, detector, still = DetectionArea(camera(2.0)), CountingDetector(), hall()
    found = [area.detect(detector, still, T0 + timedelta(seconds=i / 5)) for i in range(26)]  # 5 s at 5 fps
    assert detector.calls == 3  # at 0 s, 2 s and 4 s
    assert [int(d.xyxy[0, 0]) for d in found] == [10] * 10 + [20] * 10 + [30] * 6
    assert area.gate.reused == 23


def test_without_a_recheck_time_every_frame_is_looked_at_and_nothing_is_kept():
    area, detector, still = DetectionArea(camera(0)), CountingDetector(), hall()
    for i in range(10):
        area.detect(detector, still, T0 + timedelta(seconds=i / 5))
    assert detector.calls == 10 and area.gate.reused == 0
    assert Camera.model_validate({"id": "c", "hall": "h", "source": "x.mp4"}).still_recheck_s == 0  # the default


def test_a_person_moving_in_the_area_is_looked_at_every_frame_and_creeping_adds_up():
    area, detector, scene = DetectionArea(camera(10.0)), CountingDetector(), hall()
    for i in range(10):  # a walker: a new place every frame
        area.detect(detector, with_person(scene, 100 + 30 * i, 300), T0 + timedelta(seconds=i / 5))
    assert detector.calls == 10
    gate, calls = MotionGate(10.0), 0
    for i in range(40):  # one pixel a frame: nothing between two frames, much since the last look
        image, at = with_person(scene, 300 + i, 300), T0 + timedelta(seconds=i / 5)
        if gate.still(image, None, at) is None:
            calls += 1
            gate.remember(image, at, Detections.empty())
    assert 2 <= calls <= 20, calls  # looked again once it had moved a few pixels, not every frame


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(0, W - 12),
    y=st.integers(0, H - 30),
    noise=st.floats(0, 4),
    seed=st.integers(0, 3),
)
def test_a_person_sized_change_is_motion_inside_the_region_only_and_noise_never_is(x, y, noise, seed):
    scene = hall(seed)
    gate = MotionGate(5.0)
    gate.remember(scene, T0, Detections.empty())
    rng = np.random.default_rng(seed)
    noisy = np.clip(scene + rng.normal(0, noise, scene.shape), 0, 255).astype(np.uint8)
    assert gate.still(noisy, REGION, T0 + timedelta(seconds=1)) is not None  # grain: still
    changed = with_person(noisy, x, y)
    x0, y0, x1, y1 = REGION
    inside = x0 <= x and x + 12 <= x1 and y0 <= y and y + 30 <= y1
    outside = x + 12 <= x0 - 8 or x >= x1 + 8 or y + 30 <= y0 - 8 or y >= y1 + 8  # clear of the blur
    held = gate.still(changed, REGION, T0 + timedelta(seconds=1))
    if inside:
        assert held is None
    elif outside:
        assert held is not None


def test_another_frame_size_or_a_clock_going_back_is_looked_at():
    gate = MotionGate(5.0)
    gate.remember(hall(), T0, Detections.empty())
    assert gate.still(hall(), None, T0 + timedelta(seconds=1)) is not None
    assert gate.still(cv2.resize(hall(), (640, 480)), None, T0 + timedelta(seconds=1)) is None
    assert gate.still(hall(), None, T0 - timedelta(seconds=1)) is None
    assert gate.still(hall(), None, T0 + timedelta(seconds=5)) is None


@pytest.mark.parametrize("recheck_s", [-1, 61, float("nan"), float("inf")])
def test_the_recheck_time_is_bounded(recheck_s):
    with pytest.raises(ValueError):
        camera(recheck_s)


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_on_real_footage_walkers_are_always_looked_at_and_a_frozen_picture_keeps_its_people():
    """vtest at 2 analysed frames a second: people walk somewhere in the picture in every frame, so
    the detector runs on each; the same picture frozen (a paused scene) keeps its people."""
    detector = build_detector(DetectorConfig())
    area = DetectionArea(camera(3.0))
    cap = cv2.VideoCapture(str(VTEST))
    fps, looked = cap.get(cv2.CAP_PROP_FPS) or 10.0, 0
    for index in range(int(fps * 20)):
        ok, image = cap.read()
        assert ok
        if index % round(fps / 2) == 0:
            before = area.gate.reused
            area.detect(detector, image, T0 + timedelta(seconds=index / fps))
            looked += area.gate.reused == before
    assert looked >= 38 and area.gate.reused <= 2, (looked, area.gate.reused)
    frozen = frames(1)[0]
    first = area.detect(detector, frozen, T0 + timedelta(seconds=30))
    again = [area.detect(detector, frozen, T0 + timedelta(seconds=30 + i / 2)) for i in range(1, 6)]
    assert len(first) >= 3 and all(a is first for a in again)
