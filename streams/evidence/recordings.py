"""A live camera's recording as it lies on disk: MPEG-TS segments by stream copy under
``<evidence root>/segments/<camera>/``, each connection's (run's) segments listed in its own CSV
(name, start, end in epoch seconds of the wall clock the analysis stamps its frames with).

The pipeline's recorder (``ingest.evidence.segments``) writes them; the clip writer and the
alerting service (video on request, the 差评 clip) read them here. ffmpeg appends one line per
segment to a run's listing, so a day's listing is ~43,000 lines at 2 s segments: the index reads
each listing once and afterwards only what was appended; segments pruned from disk drop out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

GAP_S = 1.0  # segments further apart than this are two runs (the connection dropped)
RESCAN_S = 5.0  # how often the folder is listed for a new run's listing


def recordings_folder(evidence_root: str | Path, camera_id: str) -> Path:
    return Path(evidence_root) / "segments" / camera_id


@dataclass(frozen=True)
class Segment:
    path: Path
    start: float  # epoch seconds of its first packet
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class _Listing:
    offset: int = 0
    rest: str = ""  # a line still being written


class SegmentIndex:
    """The segments of one camera's recording folder, oldest first. Not thread-safe: one index per
    reader thread (or under the reader's lock)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._listings: dict[Path, _Listing] = {}
        self._segments: dict[Path, Segment] = {}
        self._sorted: list[Segment] | None = []
        self._scanned_at = -RESCAN_S

    def refresh(self) -> None:
        """Reads what the listings gained. The folder holds a day of segments (43,200 files): it is
        listed for new runs' listings at most every ``RESCAN_S``, the known listings read each time."""
        now = time.monotonic()
        if now - self._scanned_at >= RESCAN_S:
            self._scanned_at = now
            present = set(self.folder.glob("*.csv")) if self.folder.is_dir() else set()
            for gone in set(self._listings) - present:
                del self._listings[gone]
            for listing in present:
                self._listings.setdefault(listing, _Listing())
        for listing, state in sorted(self._listings.items()):
            try:
                with listing.open("rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    if size < state.offset:  # rewritten (an older ffmpeg's bounded list): read it again
                        state.offset, state.rest = 0, ""
                    f.seek(state.offset)
                    data = f.read(size - state.offset)
            except OSError:
                continue
            state.offset += len(data)
            text = state.rest + data.decode("utf-8", errors="replace")
            lines = text.split("\n")
            state.rest = lines.pop()
            for line in lines:
                self._add(line)

    def _add(self, line: str) -> None:
        name, _, times = line.strip().partition(",")
        first, _, last = times.partition(",")
        try:
            start, end = float(first), float(last)
        except ValueError:
            return
        if "/" in name or not name.endswith(".ts") or not (1e9 < start < end < start + 3600):
            return
        path = self.folder / name
        segment = Segment(path, start, end)
        in_order = self._sorted is not None and path not in self._segments
        if in_order and self._sorted and start < self._sorted[-1].start:
            in_order = False
        self._segments[path] = segment
        if in_order and self._sorted is not None:
            self._sorted.append(segment)  # the usual case: a listing grows in time order
        else:
            self._sorted = None

    def segments(self) -> list[Segment]:
        """Closed segments still on disk, oldest first. Segments are pruned oldest first, so only
        the oldest are looked for on disk (a day's index is not a day's worth of stat calls)."""
        self.refresh()
        if self._sorted is None:
            self._sorted = sorted(self._segments.values(), key=lambda s: s.start)
        pruned = 0
        while pruned < len(self._sorted) and not self._sorted[pruned].path.is_file():
            del self._segments[self._sorted[pruned].path]
            pruned += 1
        if pruned:
            del self._sorted[:pruned]
        return list(self._sorted)

    def covering(self, start: float, end: float) -> list[Segment]:
        """The contiguous run of segments that overlaps [start, end] (the latest run if the
        recording restarted inside the window)."""
        run: list[Segment] = []
        for segment in self.segments():
            if segment.end <= start or segment.start >= end:
                continue
            if not segment.path.is_file():  # deleted by hand, or pruned meanwhile: a gap
                run = []
                continue
            if run and segment.start - run[-1].end > GAP_S:
                run = []
            run.append(segment)
        return run

    def runs(self) -> list[tuple[float, float]]:
        """What is retained, as (start, end) spans without a gap, oldest first."""
        spans: list[tuple[float, float]] = []
        for segment in self.segments():
            if spans and segment.start - spans[-1][1] <= GAP_S:
                spans[-1] = (spans[-1][0], max(spans[-1][1], segment.end))
            else:
                spans.append((segment.start, segment.end))
        return spans

    def covered_until(self) -> float:
        segments = self.segments()
        return segments[-1].end if segments else 0.0

    def bytes(self) -> int:
        total = 0
        for segment in self.segments():
            try:
                total += segment.path.stat().st_size
            except OSError:
                continue
        return total
