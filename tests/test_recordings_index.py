"""The recordings' index (``streams.evidence.recordings``) reads listings that ffmpeg appends line by
line: whatever bytes a listing holds (a torn line, garbage, a name pointing elsewhere), the index
never fails, never names a file outside the camera's folder, and keeps only segments whose times
make sense; a listing read in pieces gives what it gives read whole."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.evidence.recordings import SegmentIndex

T = 1_796_600_000.0


def line(i: int, start: float, length: float = 2.0) -> str:
    return f"1-{i:06d}.ts,{start:.6f},{start + length:.6f}\n"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
def test_any_listing_bytes_are_read_without_failing_and_stay_in_the_folder(garbage: bytes, cut: int):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cam"
        folder.mkdir()
        good = "".join(line(i, T + 2 * i) for i in range(3)).encode()
        data = good + garbage + b"\n../../etc/passwd.ts,1796600000,1796600002\n/abs.ts,1796600000,1796600002\n"
        for i in range(3):
            (folder / f"1-{i:06d}.ts").touch()
        listing = folder / "1.csv"
        listing.write_bytes(data[:cut])
        index = SegmentIndex(folder)
        index.segments()
        listing.write_bytes(data)  # the rest appended, as ffmpeg does
        segments = index.segments()
        whole = SegmentIndex(folder).segments()
        assert [(s.path, s.start, s.end) for s in segments] == [(s.path, s.start, s.end) for s in whole]
        for s in segments:
            assert s.path.parent == folder and s.path.suffix == ".ts" and 1e9 < s.start < s.end < s.start + 3600
        assert [s.path.name for s in segments[:3]] == [f"1-{i:06d}.ts" for i in range(3)]


def test_runs_split_at_gaps_and_pruned_segments_drop_out(tmp_path):
    lines = [line(0, T), line(1, T + 2), line(2, T + 10)]  # a gap of 6 s: two runs
    (tmp_path / "1.csv").write_text("".join(lines))
    for i in range(3):
        (tmp_path / f"1-{i:06d}.ts").touch()
    index = SegmentIndex(tmp_path)
    assert index.runs() == [(T, T + 4), (T + 10, T + 12)]
    assert [s.path.name for s in index.covering(T + 1, T + 11)] == ["1-000002.ts"]  # the latest run
    (tmp_path / "1-000000.ts").unlink()  # pruned, oldest first
    assert index.runs() == [(T + 2, T + 4), (T + 10, T + 12)]
    assert index.covered_until() == T + 12
