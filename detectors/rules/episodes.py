"""The episode logic shared by the rules: a condition that holds over frames, with gap tolerance.

An episode starts at the first frame the condition holds. Gaps shorter than ``clear_s`` (from the
last frame it held to the next one) do not end it; once a frame is ``clear_s`` or more after the
last holding frame, the episode has ended at that last holding frame. It becomes a violation once
it has held for ``min_duration_s`` (last holding frame - first holding frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Episode:
    started_at: datetime
    last_at: datetime
    open: bool = False  # a violation was announced
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """What a rule reports for one frame: a violation opened, or one ended."""

    kind: str  # "open" | "close"
    episode: Episode
    ended_at: datetime | None = None
    closed_reason: str | None = None


@dataclass
class EpisodeTracker:
    min_duration_s: float
    clear_s: float
    episode: Episode | None = None

    def step(self, t: datetime, holds: bool, details: dict[str, Any] | None = None) -> list[Transition]:
        out: list[Transition] = []
        ep = self.episode
        if ep is not None and (t - ep.last_at).total_seconds() >= self.clear_s:
            out.extend(self._end(ep.last_at, "cleared"))
            ep = None
        if not holds:
            return out
        if ep is None:
            ep = self.episode = Episode(started_at=t, last_at=t)
        ep.last_at = t
        if details:
            _merge(ep.details, details)
        if not ep.open and (t - ep.started_at).total_seconds() >= self.min_duration_s:
            ep.open = True
            out.append(Transition("open", ep))
        return out

    def finish(self, closed_reason: str) -> list[Transition]:
        """Close at the last holding frame (end of stream, end of service)."""
        if self.episode is None:
            return []
        return self._end(self.episode.last_at, closed_reason)

    def _end(self, ended_at: datetime, reason: str) -> list[Transition]:
        ep, self.episode = self.episode, None
        if ep is None or not ep.open:
            return []
        return [Transition("close", ep, ended_at=ended_at, closed_reason=reason)]


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Accumulate episode details: track ids unite, peaks take the max, minima the min, close
    pairs are those of the closest moment."""
    for key, value in new.items():
        if key == "track_ids":
            into[key] = sorted(set(into.get(key, [])) | set(value))
        elif key == "min_distance_m":
            if value is not None:
                into[key] = value if into.get(key) is None else min(into[key], value)
        elif key == "people":
            into[key] = max(into.get(key, 0), value)
        elif key == "pairs":  # given only at the episode's closest moment so far: that moment's pairs
            into[key] = value
        elif key == "detection":  # (frames, people, detected, score sum): totals over the episode
            old = into.get(key, (0, 0, 0, 0.0))
            into[key] = tuple(a + b for a, b in zip(old, value))
        elif key == "reasons":
            into[key] = list(dict.fromkeys([*into.get(key, []), *value]))
        else:
            into.setdefault(key, value)
