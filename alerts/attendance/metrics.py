"""Prometheus metrics of attendance and queues: today's 到岗率 per region and per hall, waiting
times per hall (p50/p90 of today's waits), and people waiting now.

The attendance numbers come from the same report the console shows (``alerts.attendance.report``),
recomputed from the shared store at most every ``every_s`` seconds, so every instance reports the
same. People waiting now is what this instance consumed in the last minutes (a hall's minutes
arrive on one partition, so one instance reports each hall).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from prometheus_client.core import GaugeMetricFamily

from alerts.attendance.report import Report
from configs.model import HallwatchConfig

FRESH = timedelta(minutes=3)  # people-waiting counts older than this are not reported
MIN_RECOMPUTE_S = 5.0  # new minutes consumed: recompute at the next scrape, but not more often than this


class AttendanceCollector:
    def __init__(
        self,
        cfg: HallwatchConfig,
        today_report: Callable[[], Report],
        today_waits: Callable[[], list[tuple[str, float]]],
        county_of: Callable[[str], str],
        today_ticket_waits: Callable[[], list[tuple[str, float]]] = list,
        every_s: float = 60.0,
        now: Callable[[], datetime] | None = None,
    ):
        self.cfg = cfg
        self.today_report, self.today_waits, self.county_of = today_report, today_waits, county_of
        self.today_ticket_waits = today_ticket_waits
        self.every_s = every_s
        self.now = now or (lambda: datetime.now(UTC))
        self.halls = {h.id: h for h in cfg.halls}
        self._cache: tuple[float, list] | None = None
        self._report: Report | None = None
        self._dirty = False
        self._lock = threading.Lock()
        self.waiting: dict[tuple[str, str], tuple[datetime, int]] = {}  # (hall, camera) -> (minute, people)

    def observe(self, minutes) -> None:
        """People in the queue areas at the end of each consumed minute (and the attendance
        numbers are recomputed at the next scrape)."""
        self._dirty = True
        for m in minutes:
            key = (m.hall_id, m.camera_id)
            old = self.waiting.get(key)
            if old is None or m.minute >= old[0]:
                self.waiting[key] = (m.minute, sum(a.last_people for a in m.areas if a.kind == "queue_area"))

    def _quantiles(self, name: str, documentation: str, waits: list[tuple[str, float]]) -> GaugeMetricFamily:
        """Per hall, the median and the 90th percentile of ``waits`` ((hall, seconds) pairs)."""
        family = GaugeMetricFamily(name, documentation, labels=["hall", "hall_name", "region", "county", "quantile"])
        by_hall: dict[str, list[float]] = {}
        for hall_id, seconds in waits:
            by_hall.setdefault(hall_id, []).append(seconds)
        for hall_id, values in by_hall.items():
            if hall_id in self.halls:
                for q in (0.5, 0.9):
                    family.add_metric([*self._hall_labels(hall_id), str(q)], float(np.quantile(values, q)))
        return family

    def waiting_now(self, now: datetime | None = None) -> dict[str, int]:
        """People in each hall's queue areas now (the last minute each camera reported, if fresh)."""
        now = now or self.now()
        totals: dict[str, int] = {}
        for (hall_id, _), (minute, count) in list(self.waiting.items()):
            if now - minute <= FRESH and hall_id in self.halls:
                totals[hall_id] = totals.get(hall_id, 0) + count
        return totals

    def report(self) -> Report:
        """Today's report as last computed for the metrics (at most ``every_s`` old)."""
        self._computed()
        assert self._report is not None
        return self._report

    def _hall_labels(self, hall_id: str) -> list[str]:
        hall = self.halls[hall_id]
        return [hall_id, hall.name, hall.region, self.county_of(hall.region)]

    def _computed(self) -> list:
        with self._lock:
            if self._cache is not None:
                age = time.monotonic() - self._cache[0]
                if age < (MIN_RECOMPUTE_S if self._dirty else self.every_s):
                    return self._cache[1]
            self._dirty = False
            labels = ["hall", "hall_name", "region", "county"]
            staffed = GaugeMetricFamily(
                "hallwatch_attendance_staffed_seconds",
                "Today: scheduled seconds with someone at the post (all windows of the hall)",
                labels=labels,
            )
            observed = GaugeMetricFamily(
                "hallwatch_attendance_observed_seconds",
                "Today: scheduled seconds a camera analysed, less those covered by a registered absence",
                labels=labels,
            )
            late = GaugeMetricFamily(
                "hallwatch_attendance_late_seconds", "Today: time late (迟到, 缺岗)", labels=labels
            )
            early = GaugeMetricFamily(
                "hallwatch_attendance_early_leave_seconds", "Today: time left early (早退)", labels=labels
            )
            ratio = GaugeMetricFamily(
                "hallwatch_attendance_staffed_ratio",
                "Today's 到岗率 in a region's subtree (absent where nothing was observed yet)",
                labels=["level", "region"],
            )
            report = self._report = self.today_report()
            for (_, hall_id), t in report.halls.items():
                if not (t.observed_s or t.late_s or t.early_s):
                    continue  # nothing seen today (a province has a thousand halls: no rows of zeros)
                values = self._hall_labels(hall_id)
                staffed.add_metric(values, t.staffed_s)
                observed.add_metric(values, t.observed_s - t.excused_s)
                late.add_metric(values, t.late_s)
                early.add_metric(values, t.early_s)
            for (_, region_id), t in report.regions.items():
                if t.staffed_share is not None:
                    ratio.add_metric([self.cfg.region(region_id).level.value, region_id], t.staffed_share)
            waits = self._quantiles(
                "hallwatch_queue_wait_seconds",
                "Today's waiting times per hall (queue to window), by quantile",
                self.today_waits(),
            )
            tickets = self._quantiles(
                "hallwatch_ticket_wait_seconds",
                "Today's waits from a ticket's issue to its call, per hall (the halls' queue-ticket systems), by quantile",
                self.today_ticket_waits(),
            )
            self._cache = (time.monotonic(), [staffed, observed, late, early, ratio, waits, tickets])
            return self._cache[1]

    def collect(self):
        yield from self._computed()
        now = self.now()
        people = GaugeMetricFamily(
            "hallwatch_people_waiting",
            "People in the queue areas now (the last minute each camera reported)",
            labels=["hall", "hall_name", "region", "county"],
        )
        for hall_id, count in self.waiting_now(now).items():
            people.add_metric(self._hall_labels(hall_id), count)
        yield people
