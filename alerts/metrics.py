"""Prometheus metrics of the alerting service (base units; counters end in _total).

Coverage, open alerts and open supervision cases are computed from the store at scrape time by a collector, so every
instance of the service reports the same numbers and nothing drifts between scrapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from alerts.attendance.metrics import AttendanceCollector
from alerts.attendance.report import AttendanceReport, Report
from alerts.attendance.source import load_report
from alerts.attendance.tickets import figures
from alerts.coverage import CameraSeen, compute
from alerts.store.alerts import AlertStore
from alerts.store.cameras import CameraStore
from alerts.store.cases import CaseStore
from alerts.store.measurements import MeasurementStore
from alerts.store.repositories import Repositories
from configs.labels import REASONS, VIOLATION_TYPES
from configs.model import HallwatchConfig
from domain.events import Violation


def county_of(cfg: HallwatchConfig, region_id: str) -> str:
    """The county-level ancestor of a region (itself for a county; "" for the city)."""
    for rid in cfg.region_path(region_id):
        if cfg.region(rid).level.value == "county":
            return rid
    return ""


def _today(cfg: HallwatchConfig):
    return datetime.now(ZoneInfo(cfg.timezone)).date()


def today_report(cfg: HallwatchConfig, repos: Repositories) -> Report:
    day = _today(cfg)
    return load_report(cfg, repos, list(cfg.halls), day, day)


def today_ticket_waits(cfg: HallwatchConfig, repos: Repositories) -> list[tuple[str, float]]:
    """(hall, seconds from issue to call) of every ticket called today."""
    tz = ZoneInfo(cfg.timezone)
    start, end = AttendanceReport(cfg).day_bounds(_today(cfg))
    found = figures(repos.service_events.between([h.id for h in cfg.halls], start, end), tz)
    return [(hall, wait) for (_, hall, _), f in found.items() for wait in f.waits_s]


def today_waits(cfg: HallwatchConfig, measurements: MeasurementStore) -> list[tuple[str, float]]:
    start, end = AttendanceReport(cfg).day_bounds(_today(cfg))
    return [(r.hall_id, r.wait_s) for r in measurements.waits([h.id for h in cfg.halls], start, end)]


class CoverageCollector:
    def __init__(
        self,
        cfg: HallwatchConfig,
        store: AlertStore,
        cameras: CameraStore,
        cases: CaseStore,
        now: Callable[[], datetime] | None = None,
    ):
        self.cfg, self.store, self.cameras, self.cases = cfg, store, cameras, cases
        self.now = now or (lambda: datetime.now(UTC))
        self.workers: dict[str, tuple[str, str]] = {}  # camera -> (hall, worker) of its last heartbeat

    def coverage(self):
        cameras = self.cameras.camera_states()
        seen = {camera: CameraSeen(status, at) for camera, _, status, at, _ in cameras}
        self.workers = {camera: (hall, worker or "") for camera, hall, _, _, worker in cameras}
        return compute(self.cfg, seen, self.now(), self.cfg.alerts.stale_after_s)

    def collect(self):
        cov = self.coverage()
        families = {
            "halls": GaugeMetricFamily(
                "hallwatch_halls", "Halls at a level in a region's subtree", labels=["level", "region"]
            ),
            "covered": GaugeMetricFamily(
                "hallwatch_halls_covered", "Covered halls (every camera online and fresh)", labels=["level", "region"]
            ),
            "ratio": GaugeMetricFamily("hallwatch_coverage_ratio", "Covered halls / halls", labels=["level", "region"]),
            "windows": GaugeMetricFamily(
                "hallwatch_windows", "Windows at a level in a region's subtree", labels=["level", "region"]
            ),
            "wcovered": GaugeMetricFamily(
                "hallwatch_windows_covered", "Windows with a post zone on an online camera", labels=["level", "region"]
            ),
            "wratio": GaugeMetricFamily(
                "hallwatch_window_coverage_ratio", "Covered windows / windows", labels=["level", "region"]
            ),
        }
        for (region, level), c in sorted(cov.by_region_level.items()):
            region = "all" if region == "*" else region
            families["halls"].add_metric([level, region], c.halls)
            families["covered"].add_metric([level, region], c.halls_covered)
            if c.halls:  # no ratio where a level has no hall (not NaN: dashboards say 无大厅)
                families["ratio"].add_metric([level, region], c.ratio)
            families["windows"].add_metric([level, region], c.windows)
            families["wcovered"].add_metric([level, region], c.windows_covered)
            if c.windows:
                families["wratio"].add_metric([level, region], c.window_ratio)
        up = GaugeMetricFamily(
            "hallwatch_camera_up", "1 if the camera's last heartbeat is online and fresh", labels=["camera", "hall"]
        )
        for camera in self.cfg.cameras:
            up.add_metric([camera.id, camera.hall], 1.0 if cov.camera_up[camera.id] else 0.0)
        worker = GaugeMetricFamily(
            "hallwatch_camera_worker_info",
            "The pipeline worker whose heartbeat last reported the camera (scale-out)",
            labels=["camera", "hall", "worker"],
        )
        for camera_id, (hall_id, worker_id) in self.workers.items():
            worker.add_metric([camera_id, hall_id, worker_id], 1.0)
        yield worker
        uncovered = GaugeMetricFamily(
            "hallwatch_hall_uncovered",
            "1 for each uncovered hall, with its stale cameras",
            labels=["hall", "hall_name", "level", "region", "county", "reason", "stale_cameras"],
        )
        for hall in cov.uncovered:
            uncovered.add_metric(
                [
                    hall["hall_id"],
                    hall["hall_name"],
                    hall["level"],
                    hall["region_id"],
                    county_of(self.cfg, hall["region_id"]),
                    hall["reason"],
                    ",".join(hall["stale_cameras"]),
                ],
                1,
            )
        info = GaugeMetricFamily(
            "hallwatch_region_info",
            "The region tree (for dashboard variables)",
            labels=["region", "name", "level", "parent", "county"],
        )
        for region in self.cfg.regions:
            info.add_metric(
                [region.id, region.name, region.level.value, region.parent or "", county_of(self.cfg, region.id)], 1
            )
        open_alerts = GaugeMetricFamily(
            "hallwatch_alerts_open", "Alerts not yet reviewed", labels=["type", "level", "region"]
        )
        for type_, level, region, count in self.store.open_counts():
            open_alerts.add_metric([type_, level, region], count)
        yield from families.values()
        yield up
        yield uncovered
        yield info
        yield open_alerts
        yield from self._names()
        yield from self._cases()

    def _names(self):
        """Display names for the dashboards' legends (joined on the ids: legends read names)."""
        halls = GaugeMetricFamily("hallwatch_hall_info", "Halls and their names", labels=["hall", "name", "region"])
        windows = GaugeMetricFamily(
            "hallwatch_window_info", "Windows and their names", labels=["hall", "window", "name", "hall_name"]
        )
        for hall in self.cfg.halls:
            halls.add_metric([hall.id, hall.name, hall.region], 1)
            for window in hall.windows:
                windows.add_metric([hall.id, window.id, window.name or window.id, hall.name], 1)
        types = GaugeMetricFamily("hallwatch_type_info", "Violation types and their names", labels=["type", "name"])
        for code, name in VIOLATION_TYPES.items():
            types.add_metric([code, name], 1)
        reasons = GaugeMetricFamily(
            "hallwatch_reason_info", "Violation reasons and their names", labels=["reason", "name"]
        )
        for code, name in {**REASONS, "": "（未分原因）"}.items():
            reasons.add_metric([code, name], 1)
        cameras = GaugeMetricFamily(
            "hallwatch_camera_info", "Cameras and their names", labels=["camera", "name", "hall"]
        )
        for camera in self.cfg.cameras:
            cameras.add_metric([camera.id, camera.name or camera.id, camera.hall], 1)
        yield from (halls, windows, types, reasons, cameras)

    def _cases(self):
        """Open supervision cases (督办) by state, and those past their deadline without a reply."""
        cases = GaugeMetricFamily(
            "hallwatch_cases", "Open supervision cases (dispatched, rectified)", labels=["state", "level", "region"]
        )
        overdue = GaugeMetricFamily(
            "hallwatch_cases_overdue", "Dispatched cases past their deadline (逾期)", labels=["level", "region"]
        )
        states, late = self.cases.open_counts(self.now())
        for (state, level, region), count in sorted(states.items()):
            cases.add_metric([state, level, region], count)
        for (level, region), count in sorted(late.items()):
            overdue.add_metric([level, region], count)
        yield cases
        yield overdue


MAX_ALARM_LATENCY_S = 3600.0  # further behind: a replay of past footage, not a delay


class ServiceMetrics:
    def __init__(self, cfg: HallwatchConfig, repos: Repositories, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self.collector = CoverageCollector(cfg, repos.alerts, repos.cameras, repos.cases)
        self.registry.register(self.collector)
        measurements = repos.measurements
        self.queues = AttendanceCollector(
            cfg,
            lambda: today_report(cfg, repos),
            lambda: today_waits(cfg, measurements),
            lambda region: county_of(cfg, region),
            lambda: today_ticket_waits(cfg, repos),
        )
        self.registry.register(self.queues)
        self.violations = Counter(
            "hallwatch_violations",
            "Violations stored (new event ids)",
            ["type", "reason", "level", "region", "county", "hall", "window"],
            registry=self.registry,
        )
        self.dismissed = Counter(
            "hallwatch_violations_dismissed",
            "Violations an officer dismissed (不予认定), labelled as hallwatch_violations_total: "
            "the confirmed-or-pending count is the difference (a dismissed alert accuses no one)",
            ["type", "reason", "level", "region", "county", "hall", "window"],
            registry=self.registry,
        )
        self.dlq = Counter(
            "hallwatch_dlq", "Messages sent to the dead-letter topic", ["reason"], registry=self.registry
        )
        self.ack_seconds = Histogram(
            "hallwatch_alert_ack_seconds",
            "Time from an alert's arrival to its acknowledgement",
            buckets=(30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
            registry=self.registry,
        )
        self.alarm_latency = Histogram(
            "hallwatch_alarm_latency_seconds",
            "From the analysed frame that completed a violation's condition (its opened_at, the camera's "
            "wall clock) to the alert stored and pushed to the consoles, by rule; replays of past footage "
            "(over an hour behind) are not counted",
            ["type"],
            buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 60, 300),
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "hallwatch_consumer_lag", "Messages behind the end of the subscribed topics", registry=self.registry
        )
        self.store_up = Gauge(
            "hallwatch_alert_store_up",
            "1 while the alert store accepts writes, 0 while it is unreachable (consumption waits and retries)",
            registry=self.registry,
        )
        self.store_up.set(1)
        self.consumed = Counter("hallwatch_messages_consumed", "Messages consumed", ["topic"], registry=self.registry)
        self.reviews = Counter(
            "hallwatch_reviews",
            "Alerts reviewed by a discipline officer, by type and outcome (confirmed, dismissed): "
            "dismissed / all is the false-alarm rate",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.requests_refused = Counter(
            "hallwatch_requests_refused",
            "Expensive requests refused with 429 because as many were being served (kind: report, export)",
            ["kind"],
            registry=self.registry,
        )
        self.consumer_restarts = Counter(
            "hallwatch_consumer_restarts",
            "Times the Kafka consumer failed and was started again (broker away, or an error)",
            registry=self.registry,
        )
        self.escalations = Counter(
            "hallwatch_escalations", "Alerts escalated to a parent region", ["level"], registry=self.registry
        )
        self.notifications_failed = Gauge(
            "hallwatch_notifications_failed", "Notifications given up on", registry=self.registry
        )

    def alarm_raised(self, v: Violation, now: float) -> None:
        """A new alert from a camera stored: how long after the frame that completed its condition."""
        if v.is_open:
            behind = now - v.opened_at.timestamp()
            if 0 <= behind <= MAX_ALARM_LATENCY_S:
                self.alarm_latency.labels(v.type).observe(behind)
