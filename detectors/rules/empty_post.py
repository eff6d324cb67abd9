"""空岗/离岗: a window's post with nobody in it for too long while it is supervised.

Semantics (the contract):
- A post is occupied at an analysed frame if at least one person's foot point is inside it.
- An empty episode starts at the first unoccupied frame. It ends at the first frame of an
  occupancy lasting at least ``return_s``; shorter occupancies do not end it.
- It is a violation once it has lasted ``after_s`` inside a supervised interval (service hours
  that count for empty posts, minus registered absences). ``started_at`` is the episode start
  clipped to the start of that interval; ``ended_at`` is the return, or the interval's end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from configs.model import EmptyPostRule
from detectors.rules.episodes import Episode, Transition


@dataclass(frozen=True)
class Supervision:
    """The supervised interval containing a frame, or why there is none."""

    start: datetime | None = None
    end: datetime | None = None
    off_reason: str | None = None  # e.g. "outside_service_hours", "absence"
    off_since: datetime | None = None  # when the unsupervised span began
    off_details: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.start is not None


@dataclass
class EmptyPostState:
    rule: EmptyPostRule
    empty_since: datetime | None = None  # the episode start (unclipped)
    return_since: datetime | None = None  # first frame of the current occupancy, during an episode
    violation: Episode | None = None
    interval_end: datetime | None = None  # end of the supervised interval the violation lies in
    seen_first: bool = False

    def step(self, t: datetime, occupied: bool, sup: Supervision) -> list[Transition]:
        out: list[Transition] = []
        if not self.seen_first:
            self.seen_first = True
            if not occupied:
                self.empty_since = t
        # Leaving the supervised interval ends an open violation at the interval's end.
        if self.violation is not None and (not sup.active or sup.start != self.violation.details["_interval"]):
            end = self.interval_end or t
            reason = "service_end"
            if not sup.active:
                if sup.off_since is not None:
                    end = min(end, sup.off_since)
                if sup.off_reason == "absence":
                    reason = "absence"
                    self.violation.details["suppressed"] = sup.off_details
            end = min(max(end, self.violation.started_at), t)
            out.append(Transition("close", self.violation, ended_at=end, closed_reason=reason))
            self.violation = None

        if occupied:
            if self.empty_since is not None:
                if self.return_since is None:
                    self.return_since = t
                if (t - self.return_since).total_seconds() >= self.rule.return_s:
                    out.extend(self._returned(self.return_since))
        else:
            if self.empty_since is None:
                self.empty_since = t
            self.return_since = None

        if self.empty_since is not None and self.violation is None and sup.active:
            start = max(self.empty_since, sup.start)
            # While someone is back but not yet for return_s, the episode lasts at least until then.
            reference = self.return_since or t
            if (reference - start).total_seconds() >= self.rule.after_s:
                self.violation = Episode(started_at=start, last_at=t, open=True, details={"_interval": sup.start})
                self.interval_end = sup.end
                out.append(Transition("open", self.violation))
        if self.violation is not None:
            self.violation.last_at = t
        return out

    def _returned(self, at: datetime) -> list[Transition]:
        self.empty_since = None
        self.return_since = None
        if self.violation is None:
            return []
        ep, self.violation = self.violation, None
        return [Transition("close", ep, ended_at=at, closed_reason="returned")]

    def finish(self, last_t: datetime) -> list[Transition]:
        if self.violation is None:
            return []
        ep, self.violation = self.violation, None
        return [Transition("close", ep, ended_at=last_t, closed_reason="end_of_stream")]
