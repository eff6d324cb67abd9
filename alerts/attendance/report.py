"""The daily attendance report (考勤报表) per window, rolled up by hall and by region.

Built from what the pipeline publishes: per-minute staffed seconds of each window's post
(``hallwatch.service-minute.v1``), the empty-post violations with their reasons (迟到/早退/缺岗/离岗),
citizens left waiting, and the registered absences (去向公开). Pure: rows in, report out.

Definitions (also in docs/attendance.md):
- Scheduled time: the day's service periods that supervise empty posts (the window's schedule,
  else the hall's). A hall without a schedule has none; its shares are over the observed time.
- Observed / staffed: seconds of scheduled time analysed by a camera / with someone at the post.
  到岗率 (staffed share) = staffed / (observed - observed time covered by a registered absence).
- Minutes late: the late_arrival and absent violations' time inside the period (a lateness under
  ``rules.empty_post.late_after_s`` is tolerated, as in the rules). Minutes left early: the
  early_leave violations' time. Arrival: the return that ended a late arrival, else the first
  time at the post from an hour before the period (not before the previous period's end) — unless
  that is the first second observed (the camera came on, the footage began, after the look-back
  began): then nobody saw them arrive, and the row says "present when observation began".
  Departure: the start of an early leave, else the last time at the post before the next period
  (at most an hour after the end).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from configs.model import Hall, HallwatchConfig
from domain.service_calendar import ServiceCalendar

LOOKAROUND = timedelta(hours=1)
LATE_REASONS = ("late_arrival", "absent")
ARRIVAL_UNSEEN_S = 1.0  # at the post this soon after observation began: not an arrival


@dataclass(frozen=True)
class MinuteRow:
    hall_id: str
    window_id: str
    minute: datetime
    observed_s: float
    staffed_s: float
    first_in: datetime | None
    last_in: datetime | None


@dataclass(frozen=True)
class AlertRow:
    hall_id: str
    window_id: str | None
    type: str
    reason: str | None
    started_at: datetime
    ended_at: datetime  # or, while open, the time reached so far
    reviewed: bool = False  # confirmed by an officer; not yet reviewed counts too, shown apart (待复核)


@dataclass(frozen=True)
class AbsenceRow:
    hall_id: str
    window_id: str | None
    start: datetime
    end: datetime


@dataclass
class PeriodRow:
    start: datetime
    end: datetime
    arrival: datetime | None = None
    departure: datetime | None = None
    late_s: float = 0.0
    early_s: float = 0.0
    # At the post in the first second anything was observed (a camera that came on, footage that
    # began): when they came is unknown, so there is no arrival time to show.
    present_from_start: bool = False


@dataclass
class Totals:
    scheduled_s: float = 0.0
    observed_s: float = 0.0
    staffed_s: float = 0.0
    excused_s: float = 0.0  # observed during a registered absence
    absence_s: float = 0.0  # registered absence inside the schedule
    absences: int = 0
    late_s: float = 0.0
    early_s: float = 0.0
    violations: dict[str, int] = field(default_factory=dict)
    pending_review: int = 0  # of the violations, those no officer has reviewed yet

    def count(self, alert: AlertRow) -> None:
        key = violation_key(alert.type, alert.reason)
        self.violations[key] = self.violations.get(key, 0) + 1
        self.pending_review += not alert.reviewed

    @property
    def staffed_share(self) -> float | None:
        denominator = self.observed_s - self.excused_s
        return round(self.staffed_s / denominator, 4) if denominator > 0 else None

    def add(self, other: Totals) -> None:
        for name in (
            "scheduled_s",
            "observed_s",
            "staffed_s",
            "excused_s",
            "absence_s",
            "absences",
            "late_s",
            "early_s",
            "pending_review",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, count in other.violations.items():
            self.violations[key] = self.violations.get(key, 0) + count


@dataclass
class WindowDay:
    day: date
    hall_id: str
    window_id: str
    periods: list[PeriodRow]
    totals: Totals
    scheduled: bool  # False: the hall has no schedule


@dataclass
class HallDay:
    """One hall on one day: its windows' rows and the hall's totals (its hall-level violations too)."""

    windows: list[WindowDay]
    totals: Totals


@dataclass
class Report:
    days: list[date]
    windows: list[WindowDay]
    halls: dict[tuple[date, str], Totals]
    regions: dict[tuple[date, str], Totals]


def violation_key(alert_type: str, reason: str | None) -> str:
    """Counted by reason for empty posts (离岗/迟到/早退/缺岗), by type otherwise."""
    if alert_type == "empty_post":
        return f"empty_post:{'left_post' if reason in (None, 'empty') else reason}"
    return alert_type


def _between(ordered: list[tuple[datetime, MinuteRow]], start: datetime, end: datetime):
    """The (minute, row) pairs of ``ordered`` (sorted by minute) with start <= minute < end."""
    keys = [t for t, _ in ordered]
    return ordered[bisect_left(keys, start) : bisect_left(keys, end)]


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


class AttendanceReport:
    def __init__(self, cfg: HallwatchConfig):
        self.cfg = cfg
        self.tz = ZoneInfo(cfg.timezone)
        self._calendars: dict[str, ServiceCalendar] = {}
        self._post_window = {(c.hall, z.id): z.window for c in cfg.cameras for z in c.zones if z.window}

    def calendar(self, name: str | None) -> ServiceCalendar | None:
        if name is None or name not in self.cfg.schedules:
            return None
        if name not in self._calendars:
            self._calendars[name] = ServiceCalendar(self.cfg.schedules[name], self.tz, name)
        return self._calendars[name]

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, time(0), self.tz), datetime.combine(day + timedelta(days=1), time(0), self.tz))

    def absence_window(self, hall_id: str, window_id: str | None, zone_id: str | None) -> str | None:
        return window_id or (self._post_window.get((hall_id, zone_id)) if zone_id else None)

    # -- building ----------------------------------------------------------------------------------
    def build(
        self,
        halls: list[Hall],
        days: list[date],
        minutes: Iterable[MinuteRow],
        alerts: Iterable[AlertRow],
        absences: Iterable[AbsenceRow],
        known: dict[tuple[str, date], HallDay] | None = None,
    ) -> Report:
        """The report of ``halls`` on ``days``; ``known`` hall-days (stored ones) are taken as they
        are, the others built from the rows."""
        return self.assemble(halls, days, {**self.hall_days(halls, days, minutes, alerts, absences), **(known or {})})

    def hall_days(
        self,
        halls: list[Hall],
        days: list[date],
        minutes: Iterable[MinuteRow],
        alerts: Iterable[AlertRow],
        absences: Iterable[AbsenceRow],
    ) -> dict[tuple[str, date], HallDay]:
        """Each hall's windows and totals on each day, built from the rows."""
        by_window: dict[tuple[str, str, date], dict[datetime, MinuteRow]] = defaultdict(dict)
        for m in minutes:  # one window seen by two cameras: the larger observation counts
            slot = by_window[(m.hall_id, m.window_id, m.minute.astimezone(self.tz).date())]
            old = slot.get(m.minute)
            if old is None or (m.observed_s, m.staffed_s) > (old.observed_s, old.staffed_s):
                slot[m.minute] = m
        alerts_by: dict[tuple[str, str | None], list[AlertRow]] = defaultdict(list)
        for a in alerts:
            alerts_by[(a.hall_id, a.window_id)].append(a)
        absences_by: dict[tuple[str, str | None], list[AbsenceRow]] = defaultdict(list)
        for absence in absences:
            absences_by[(absence.hall_id, absence.window_id)].append(absence)
        out: dict[tuple[str, date], HallDay] = {}
        for day in days:
            day_start, day_end = self.day_bounds(day)
            for hall in halls:
                hall_totals = Totals()
                rows = []
                for window in hall.windows:
                    key = (hall.id, window.id)
                    row = self._window_day(
                        day,
                        hall,
                        window.id,
                        window.schedule or hall.schedule,
                        by_window.get((*key, day), {}),
                        alerts_by.get(key, []),
                        absences_by.get(key, []),
                    )
                    rows.append(row)
                    hall_totals.add(row.totals)
                for a in alerts_by.get((hall.id, None), []):  # hall-level violations (staff chatting, queue)
                    if day_start <= a.started_at < day_end:
                        hall_totals.count(a)
                out[(hall.id, day)] = HallDay(rows, hall_totals)
        return out

    def assemble(self, halls: list[Hall], days: list[date], hall_days: dict[tuple[str, date], HallDay]) -> Report:
        """Windows, halls and regions (a region: the sum of its halls) of every hall-day."""
        windows: list[WindowDay] = []
        halls_out: dict[tuple[date, str], Totals] = {}
        regions: dict[tuple[date, str], Totals] = {}
        for day in days:
            for hall in halls:
                built = hall_days[(hall.id, day)]
                windows.extend(built.windows)
                halls_out[(day, hall.id)] = built.totals
                for region_id in self.cfg.region_path(hall.region):
                    regions.setdefault((day, region_id), Totals()).add(built.totals)
        return Report(days, windows, halls_out, regions)

    def _window_day(
        self,
        day: date,
        hall: Hall,
        window_id: str,
        schedule: str | None,
        minutes: dict[datetime, MinuteRow],
        alerts: list[AlertRow],
        absences: list[AbsenceRow],
    ) -> WindowDay:
        day_start, day_end = self.day_bounds(day)
        calendar = self.calendar(schedule)
        spans = [(iv.start, iv.end) for iv in calendar.intervals_on(day) if iv.supervise_empty_post] if calendar else []
        totals = Totals()
        totals.scheduled_s = sum((b - a).total_seconds() for a, b in spans)
        for m in minutes.values():
            if not day_start <= m.minute < day_end:
                continue
            if spans and not any(a <= m.minute < b for a, b in spans):
                continue
            totals.observed_s += m.observed_s
            totals.staffed_s += m.staffed_s
            if any(x.start <= m.minute < x.end for x in absences):
                totals.excused_s += m.observed_s
        for x in absences:
            inside = sum(_overlap(x.start, x.end, a, b) for a, b in spans)
            if inside > 0 or (not spans and _overlap(x.start, x.end, day_start, day_end) > 0):
                totals.absences += 1
                totals.absence_s += inside
        for a in alerts:
            if day_start <= a.started_at < day_end:
                totals.count(a)
        periods = []
        ordered = sorted(minutes.items())  # by time: each period looks at its own stretch only
        for i, (start, end) in enumerate(spans):
            previous_end = spans[i - 1][1] if i else start - LOOKAROUND
            next_start = spans[i + 1][0] if i + 1 < len(spans) else end + LOOKAROUND
            periods.append(
                self._period(
                    start,
                    end,
                    max(start - LOOKAROUND, previous_end),
                    min(end + LOOKAROUND, next_start),
                    ordered,
                    alerts,
                )
            )
        totals.late_s = sum(p.late_s for p in periods)
        totals.early_s = sum(p.early_s for p in periods)
        return WindowDay(day, hall.id, window_id, periods, totals, bool(calendar))

    @staticmethod
    def _period(
        start: datetime,
        end: datetime,
        look_from: datetime,
        look_until: datetime,
        ordered: list[tuple[datetime, MinuteRow]],
        alerts: list[AlertRow],
    ) -> PeriodRow:
        row = PeriodRow(start, end)
        late = [a for a in alerts if a.type == "empty_post" and a.reason in LATE_REASONS and a.started_at == start]
        early = [
            a
            for a in alerts
            if a.type == "empty_post"
            and a.reason == "early_leave"
            and start <= a.started_at < end
            and a.ended_at == end
        ]
        row.late_s = sum(_overlap(a.started_at, a.ended_at, start, end) for a in late)
        row.early_s = sum(_overlap(a.started_at, a.ended_at, start, end) for a in early)
        if any(a.reason == "absent" for a in late):
            return row
        if late:
            row.arrival = max(a.ended_at for a in late)
        else:
            observed = [m for _, m in _between(ordered, look_from, end) if m.observed_s > 0]
            seen = [m.first_in for m in observed if m.first_in is not None and m.first_in >= look_from]
            row.arrival = min(seen, default=None)
            first = min(observed, key=lambda m: m.minute, default=None)
            if (
                first is not None
                and row.arrival is not None
                and first.minute > look_from
                and first.first_in == row.arrival
                and (row.arrival - first.minute).total_seconds() <= ARRIVAL_UNSEEN_S
            ):
                row.arrival, row.present_from_start = None, True
        if early:
            row.departure = min(a.started_at for a in early)
        else:
            seen = [
                m.last_in
                for _, m in _between(ordered, start, look_until)
                if m.last_in is not None and m.last_in < look_until
            ]
            row.departure = max(seen, default=None)
        return row
