"""Supervision statistics (统计): alerts counted by their decision and their case, grouped by rule,
hall, region, person on duty or week. Pure: built from ``alerts.store.cases.AlertFacts``.

Counts follow the officers' decisions: ``alerts`` is every alert raised, ``confirmed`` and
``dismissed`` are the review outcomes, ``pending_review`` not reviewed yet, and the false-alarm
rate is dismissed ÷ reviewed (null when nothing was reviewed). Minutes late and left early add up
the alerts of those reasons that no officer dismissed. A region's row counts its whole subtree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from alerts.store.cases import AlertFacts, is_overdue
from configs.labels import type_label
from configs.model import HallwatchConfig
from domain.roster import Roster

GroupBy = Literal["type", "hall", "region", "person", "week"]
GROUPS: tuple[GroupBy, ...] = ("type", "hall", "region", "person", "week")
NOBODY = "（未排班）"  # alerts at a window nobody was rostered at, or of no window
COLUMNS = (
    ("key", "键"),
    ("name", "名称"),
    ("alerts", "告警数"),
    ("confirmed", "认定违规"),
    ("dismissed", "不予认定"),
    ("pending_review", "待复核"),
    ("false_alarm_rate", "误报率"),
    ("dispatched", "已督办"),
    ("rectified_on_time", "按期整改"),
    ("rectified_late", "逾期整改"),
    ("overdue", "逾期未整改"),
    ("late_minutes", "迟到分钟"),
    ("early_leave_minutes", "早退分钟"),
)


@dataclass
class StatsRow:
    key: str
    name: str
    alerts: int = 0
    confirmed: int = 0
    dismissed: int = 0
    pending_review: int = 0
    dispatched: int = 0
    rectified_on_time: int = 0
    rectified_late: int = 0
    overdue: int = 0
    late_s: float = field(default=0.0, repr=False)
    early_leave_s: float = field(default=0.0, repr=False)

    def add(self, fact: AlertFacts, now: datetime) -> None:
        self.alerts += 1
        outcome = fact.review_outcome
        self.confirmed += outcome == "confirmed"
        self.dismissed += outcome == "dismissed"
        self.pending_review += outcome is None
        if fact.due_at is not None:
            self.dispatched += 1
            replied = fact.lifecycle in ("rectified", "closed") and fact.rectified_late is not None
            self.rectified_on_time += replied and not fact.rectified_late
            self.rectified_late += replied and bool(fact.rectified_late)
            self.overdue += is_overdue(fact.lifecycle, fact.due_at, now)
        if outcome != "dismissed":
            self.late_s += fact.duration_s if fact.reason == "late_arrival" else 0.0
            self.early_leave_s += fact.duration_s if fact.reason == "early_leave" else 0.0

    @property
    def false_alarm_rate(self) -> float | None:
        reviewed = self.confirmed + self.dismissed
        return round(self.dismissed / reviewed, 4) if reviewed else None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "alerts": self.alerts,
            "confirmed": self.confirmed,
            "dismissed": self.dismissed,
            "pending_review": self.pending_review,
            "false_alarm_rate": self.false_alarm_rate,
            "dispatched": self.dispatched,
            "rectified_on_time": self.rectified_on_time,
            "rectified_late": self.rectified_late,
            "overdue": self.overdue,
            "late_minutes": round(self.late_s / 60, 1),
            "early_leave_minutes": round(self.early_leave_s / 60, 1),
        }


class Statistics:
    def __init__(self, cfg: HallwatchConfig, roster: Roster, visible_regions: set[str]):
        self.cfg, self.roster, self.visible = cfg, roster, visible_regions
        self.tz = ZoneInfo(cfg.timezone)
        self.halls = {h.id: h for h in cfg.halls}
        self.regions = {r.id: r for r in cfg.regions}

    def keys(self, group_by: GroupBy) -> Callable[[AlertFacts], Iterable[tuple[str, str]]]:
        """(key, display name) pairs one alert counts under."""
        if group_by == "type":
            return lambda f: [(f.type, type_label(f.type))]
        if group_by == "hall":
            return lambda f: [(f.hall_id, self.halls[f.hall_id].name if f.hall_id in self.halls else f.hall_id)]
        if group_by == "region":
            return lambda f: [(r, self.regions[r].name) for r in self.cfg.region_path(f.region_id) if r in self.visible]
        if group_by == "person":
            return lambda f: [(p, p) for p in self._on_duty(f)] or [("", NOBODY)]
        return lambda f: [self._week(f.started_at)]

    def _on_duty(self, f: AlertFacts) -> list[str]:
        return self.roster.on_duty(f.hall_id, f.window_id, f.started_at) if f.window_id else []

    def _week(self, t: datetime) -> tuple[str, str]:
        day = t.astimezone(self.tz).date()
        monday = day - timedelta(days=day.weekday())
        iso = monday.isocalendar()
        return monday.isoformat(), f"{iso.year}年第{iso.week}周"

    def rows(self, facts: Iterable[AlertFacts], group_by: GroupBy, now: datetime) -> tuple[list[dict], dict]:
        """The rows, sorted by key (weeks: oldest first; others: most alerts first), and the total."""
        keys = self.keys(group_by)
        groups: dict[str, StatsRow] = {}
        total = StatsRow("", "合计")
        for fact in facts:
            total.add(fact, now)
            for key, name in keys(fact):
                groups.setdefault(key, StatsRow(key, name)).add(fact, now)
        ordered = sorted(
            groups.values(), key=(lambda r: r.key) if group_by == "week" else (lambda r: (-r.alerts, r.key))
        )
        return [r.as_dict() for r in ordered], total.as_dict()
