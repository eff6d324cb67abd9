"""空岗/离岗/迟到/早退/缺岗: a window's post with nobody in it while it is supervised.

Semantics (the contract):
- A post is occupied at an analysed frame if at least one person's foot point is inside it.
- An empty episode starts at the first unoccupied frame. It ends at the first frame of an
  occupancy lasting at least ``return_s``; shorter occupancies do not end it.
- Supervised intervals are service periods (from the schedule) minus registered absences.
- ``left_post`` (离岗): the episode has lasted ``after_s`` inside a supervised interval.
  ``started_at`` is the episode start clipped to the interval's start; ``ended_at`` is the
  return, or the interval's end.
- ``late_arrival`` (迟到): the post is unoccupied at the start of a service period and stays so
  for ``late_after_s``; ``started_at`` = the period start.
- ``early_leave`` (早退): an episode still running when a service period ends (nobody back at
  the post) that began at least ``early_before_s`` before the end; ``ended_at`` = the period end.
  If it was open as ``left_post`` its closing message carries ``early_leave``; otherwise it is
  opened and closed at the first frame after the period end.
- ``absent`` (缺岗): a late arrival still running at the period end: the whole period unoccupied.
The closing message's reason is final. Schedule-less halls have no period boundaries
(``period_start``/``period_end`` None), so only ``left_post`` applies there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from configs.model import EmptyPostRule
from detectors.rules.episodes import Episode, Transition

LEFT_POST, LATE_ARRIVAL, EARLY_LEAVE, ABSENT = "left_post", "late_arrival", "early_leave", "absent"


@dataclass(frozen=True)
class Supervision:
    """The supervised interval containing a frame, or why there is none."""

    start: datetime | None = None
    end: datetime | None = None
    off_reason: str | None = None  # e.g. "outside_service_hours", "absence"
    off_since: datetime | None = None  # when the unsupervised span began
    off_details: dict[str, Any] = field(default_factory=dict)
    # The service period (from the schedule) the interval lies in; None without a schedule.
    period_start: datetime | None = None
    period_end: datetime | None = None

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
    # The previous frame's supervised interval start and its period's end, while supervised: an
    # episode that runs past that end without an open violation may be an early leave.
    last_period: tuple[datetime, datetime] | None = None

    def step(self, t: datetime, occupied: bool, sup: Supervision) -> list[Transition]:
        out: list[Transition] = []
        if not self.seen_first:
            self.seen_first = True
            if not occupied:
                self.empty_since = t
        if self.violation is not None and (not sup.active or sup.start != self.violation.details["_interval"]):
            out.append(self._close_at_interval_end(t, sup))
        elif self.violation is None and self.last_period is not None and t >= self.last_period[1]:
            out.extend(self._early_leave_at_period_end(*self.last_period))
        self.last_period = (
            (sup.start, sup.period_end)
            if sup.active and sup.period_end is not None and sup.end == sup.period_end
            else None
        )

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
            late = sup.period_start is not None and start == sup.period_start
            threshold = self.rule.late_after_s if late else self.rule.after_s
            # While someone is back but not yet for return_s, the episode lasts at least until then.
            reference = self.return_since or t
            if (reference - start).total_seconds() >= threshold:
                self.violation = Episode(
                    started_at=start,
                    last_at=t,
                    open=True,
                    details={
                        "_interval": sup.start,
                        "_period_end": sup.period_end,
                        "reason": LATE_ARRIVAL if late else LEFT_POST,
                    },
                )
                self.interval_end = sup.end
                out.append(Transition("open", self.violation))
        if self.violation is not None:
            self.violation.last_at = t
        return out

    def _close_at_interval_end(self, t: datetime, sup: Supervision) -> Transition:
        """Leaving the supervised interval ends an open violation at the interval's end; at a
        period's end (not an absence's start) its reason becomes final."""
        ep, self.violation = self.violation, None
        end = self.interval_end or t
        closed_reason = "service_end"
        if not sup.active:
            if sup.off_since is not None:
                end = min(end, sup.off_since)
            if sup.off_reason == "absence":
                closed_reason = "absence"
                ep.details["suppressed"] = sup.off_details
        end = min(max(end, ep.started_at), t)
        period_end = ep.details.get("_period_end")
        if (
            closed_reason == "service_end"
            and period_end is not None
            and end == period_end
            and self.return_since is None
        ):
            if ep.details["reason"] == LATE_ARRIVAL:
                ep.details["reason"] = ABSENT
            elif (period_end - ep.started_at).total_seconds() >= self.rule.early_before_s:
                ep.details["reason"] = EARLY_LEAVE
        return Transition("close", ep, ended_at=end, closed_reason=closed_reason)

    def _early_leave_at_period_end(self, interval_start: datetime, period_end: datetime) -> list[Transition]:
        """Nobody at the post when the period ended, and no violation open: an early leave if the
        episode began ``early_before_s`` or more before the end (opened and closed at once)."""
        if self.empty_since is None or self.return_since is not None:
            return []
        start = max(self.empty_since, interval_start)
        if (period_end - start).total_seconds() < self.rule.early_before_s:
            return []
        ep = Episode(started_at=start, last_at=period_end, open=True, details={"reason": EARLY_LEAVE})
        return [Transition("open", ep), Transition("close", ep, ended_at=period_end, closed_reason="service_end")]

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
