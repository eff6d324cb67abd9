"""Replayed detections (``source: mot:PATH``) are an input like any other: a MOT file's rows are
boxes only when they are finite and in bounds, and a file that is not rows of numbers stops its
camera with a SourceError (the watchdog's business), never the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.model import Camera
from domain.base import COORDINATE_LIMIT
from ingest.sources import MOT_MAX_FRAME, MotReplaySource, SourceError, SourceStats, read_mot

NUMBERS = st.one_of(
    st.integers(-3, 12),
    st.floats(-1e6, 1e6),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e300, 2.5, 0.0, -1.0, 1e12]),
)
ROWS = st.lists(st.lists(NUMBERS, min_size=7, max_size=9), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(rows=ROWS)
def test_only_boxes_in_bounds_are_replayed(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("mot") / "det.txt"
    width = max(len(r) for r in rows)
    path.write_text("\n".join(",".join(repr(float(v)) for v in r + [0] * (width - len(r))) for r in rows))
    replayed = read_mot(path)
    wanted = sum(
        1
        for frame, track, left, top, w, h, score, *_ in rows
        if all(np.isfinite([frame, track, left, top, w, h, score]))
        and float(frame).is_integer()
        and float(track).is_integer()
        and 1 <= frame <= MOT_MAX_FRAME
        and -1 <= track <= 2**31 - 1
        and w >= 1
        and h >= 1
        and max(abs(left), abs(top), abs(w), abs(h)) <= COORDINATE_LIMIT
    )
    assert sum(len(d) for d in replayed.values()) == wanted
    for frame, detections in replayed.items():
        assert 1 <= frame <= MOT_MAX_FRAME
        assert np.isfinite(detections.xyxy).all() and np.isfinite(detections.scores).all()
        assert (detections.xyxy[:, 2] > detections.xyxy[:, 0]).all()
        assert (detections.xyxy[:, 3] > detections.xyxy[:, 1]).all()
        assert (detections.ids >= -1).all()


@pytest.mark.parametrize(
    "text", ["1,2,3\n", "frame,id,x,y,w,h,conf\n1,1,1,1,1,1,1\n", "1,1,1,1,1,1,x\n", "\x00\xff garbage"]
)
def test_a_file_that_is_not_rows_of_numbers_stops_its_camera_with_the_reason(tmp_path, text):
    path = tmp_path / "det.txt"
    path.write_text(text, encoding="latin-1")
    camera = Camera(id="c", hall="h", source=f"mot:{path}", frame_size=(640, 480), source_fps=25)
    source = MotReplaySource(camera, datetime(2026, 3, 2, 9, tzinfo=UTC), SourceStats())
    with pytest.raises(SourceError, match="not rows of at least 7 numbers"):
        next(source.frames())


def test_a_frame_number_far_in_the_future_is_not_waited_for(tmp_path):
    """A row of frame 10^12 made the replay count through every frame up to it."""
    path = tmp_path / "det.txt"
    path.write_text("1,1,10,10,20,40,0.9\n1000000000000,1,10,10,20,40,0.9\n2,1,11,10,20,40,0.9\n")
    camera = Camera(id="c", hall="h", source=f"mot:{path}", frame_size=(640, 480), source_fps=25, analysis_fps=25)
    frames = list(MotReplaySource(camera, datetime(2026, 3, 2, 9, tzinfo=UTC), SourceStats()).frames())
    assert [f.index for f in frames] == [1, 2]
