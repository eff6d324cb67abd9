"""The alerting service: consume Kafka into the store, escalate, notify, serve the API.

    python -m alerts [--config configs/demo.yaml] [--port 8080] [--database-url URL]

Several instances may run with the same ``alerts.group_id``: Kafka shares the partitions among
them, and the store is idempotent by event id.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.access.sessions import purge_ended
from alerts.attendance.source import store_recent_days
from alerts.consumer import AlertConsumer, Received, StoreUnavailable
from alerts.escalator import Escalator
from alerts.evidence.recorded import RatingClips, Recordings
from alerts.gate import ConfigGate
from alerts.lifecycle import Lifecycle
from alerts.live import Changes
from alerts.log_limits import limit_repeats
from alerts.metrics import ServiceMetrics, county_of
from alerts.notify import Notice, Notifier
from alerts.service_events import ServiceEventIntake
from alerts.store.alerts import Applied, identity
from alerts.store.database import is_unavailable
from alerts.store.repositories import Repositories
from alerts.store.schema import AbsenceRecord
from configs.loader import load_or_exit
from configs.model import HallwatchConfig
from domain.events import Absence, Heartbeat, ServiceMinute, Violation
from domain.service_events import ServiceEvent
from streams.absence_book import absence_of
from streams.absence_feed import publish_absence

log = logging.getLogger("hallwatch.alerts")
STORE_DAYS_EVERY_S = 600.0  # how often the attendance report's finished days are built and stored
PROBE_EVERY_S = 2.0  # how often the service checks that a Kafka bootstrap server takes connections


class AlertService:
    """Builds nothing outside itself: ``open`` opens (and creates) the database, ``start`` starts
    the consumer and escalation threads."""

    def __init__(self, cfg: HallwatchConfig, repos: Repositories, bootstrap: str | None = None):
        self.cfg = cfg
        self.repos = repos
        self.store = repos.alerts
        self.lifecycle = Lifecycle(self.store)
        self.metrics = ServiceMetrics(cfg, repos)
        self.notifier = Notifier(cfg.alerts.webhooks, cfg.alerts.webhook_attempts)
        self.bootstrap = bootstrap or cfg.kafka.bootstrap_servers
        self.stop_event = threading.Event()
        self.consumer: AlertConsumer | None = None
        self._threads: list[threading.Thread] = []
        self._regions = {r.id: r for r in cfg.regions}
        self._halls = {h.id: h for h in cfg.halls}
        self.gate = ConfigGate(cfg)
        self._county = {r.id: county_of(cfg, r.id) for r in cfg.regions}  # a metrics label, per message
        self.store_error: str | None = None
        self.consumer_error: str | None = None  # the last failure of the consumer, until a poll succeeds
        self.consumer_failing_since: float | None = None  # monotonic
        self.kafka_reached_at = time.monotonic()  # the last time a bootstrap server took a connection
        self.kafka_reachable = True  # at the last probe
        self.changes = Changes()  # bumped after each commit: the live stream pushes at once
        self.escalator = Escalator(cfg, repos, self.lifecycle, self.notifier, self.metrics, self.changes)
        self.recordings = Recordings(cfg)  # the cameras' retained video (视频回溯, the 差评 clips)
        self.rating_clips = RatingClips(self.recordings, self._raise)
        self.intake = ServiceEventIntake(cfg, repos, self.changes, self._raise, self.rating_clips.add)
        # Benchmarks set a dict here: event id -> (batch handed over by the consumer, stored), POSIX seconds.
        self.trace: dict[str, tuple[float, float]] | None = None

    @classmethod
    def open(cls, cfg: HallwatchConfig, database_url: str | None = None, bootstrap: str | None = None) -> AlertService:
        return cls(cfg, Repositories.open(database_url or cfg.alerts.database_url), bootstrap)

    # -- consumption -------------------------------------------------------------------------------
    def handle(self, batch: list[Received]) -> list[tuple[Received, str]]:
        """Store a batch; return the messages refused, with why (they go to the DLQ). Hall,
        region, path and level come from the config, never from the message. Raises
        StoreUnavailable when the database cannot be reached (the batch is retried)."""
        handed_over = time.time()
        rejected: list[tuple[Received, str]] = []
        violations: list[tuple[Received, Violation]] = []
        beats: list[Heartbeat] = []
        absences: list[Absence] = []
        cancelled: list[str] = []
        minutes: list[ServiceMinute] = []
        service_events: list[ServiceEvent] = []
        for topic, count in Counter(m.topic for m in batch).items():
            self.metrics.consumed.labels(topic).inc(count)
        for m in batch:
            if m.minute is not None:
                problem = self.gate.minute_problem(m.minute)
                if problem:
                    rejected.append((m, problem))
                else:
                    minutes.append(m.minute)
            elif m.cancelled is not None:
                cancelled.append(m.cancelled)
            elif m.absence is not None:
                problem = self.gate.absence_problem(m.absence)
                if problem:
                    rejected.append((m, problem))
                else:
                    absences.append(m.absence)
            elif m.violation is not None:
                trusted = self.gate.trusted(m.violation)
                if isinstance(trusted, str):
                    rejected.append((m, trusted))
                else:
                    violations.append((m, trusted))
            elif m.service_event is not None:
                if refused := self.gate.service_event_problem(m.service_event):
                    rejected.append((m, ": ".join(refused)))
                else:
                    service_events.append(m.service_event)
            elif m.heartbeat is not None:
                problem = self.gate.heartbeat_problem(m.heartbeat)
                if problem:
                    rejected.append((m, problem))
                else:
                    beats.append(m.heartbeat)
        try:
            if beats:
                self.repos.cameras.apply_heartbeats(beats)
            if absences or cancelled:
                self.repos.absences.mirror(absences, cancelled)
            if minutes:
                self.repos.measurements.apply_minutes(minutes)
                self.metrics.queues.observe(minutes)
                self.intake.minutes_arrived(minutes)
            if service_events:
                self.intake.take(service_events, "kafka")
            if violations:
                rejected += self._store(violations)
                self.changes.bump(v.event_id for _, v in violations)
                if self.trace is not None:
                    stored = time.time()
                    self.trace.update((v.event_id, (handed_over, stored)) for _, v in violations)
        except Exception as error:
            if is_unavailable(error):
                raise StoreUnavailable(str(error).splitlines()[0]) from error
            raise
        return rejected

    def _raise(self, violations: list[Violation]) -> None:
        """Alerts the service raises itself (叫号无人, 差评): stored, counted, notified as any other."""
        for _, why in self._store([(Received("integrations", v.hall_id, -1, -1, violation=v), v) for v in violations]):
            log.error("a raised alert was refused: %s", why)

    def _store(self, items: list[tuple[Received, Violation]]) -> list[tuple[Received, str]]:
        """Store the batch at once; if one message breaks that, store them one by one so that only
        the messages the database refuses are rejected."""
        try:
            applied = self.store.apply_violations([v for _, v in items], self._owners(items))
            rejected: list[tuple[Received, str]] = []
        except Exception as error:
            if is_unavailable(error):
                raise
            applied, rejected = Applied(), []
            for m, v in items:
                try:
                    one = self.store.apply_violations([v], self._owners([(m, v)]))
                except Exception as single:
                    if is_unavailable(single):
                        raise
                    rejected.append(
                        (m, f"the alert store refused it: {type(single).__name__}: {str(single).splitlines()[0][:300]}")
                    )
                    continue
                applied.created += one.created
                applied.conflicts |= one.conflicts
        rejected += [
            (m, f"conflict: event {v.event_id} exists for another hall, camera, zone or type")
            for m, v in items
            if (v.event_id, identity(v)) in applied.conflicts
        ]
        created, now = set(applied.created), time.time()
        counts: Counter[tuple] = Counter()
        for _, v in items:
            if v.event_id in created:
                created.discard(v.event_id)
                self.metrics.alarm_raised(v, now)
                counts[
                    (
                        v.type,
                        v.reason or "",
                        v.level,
                        v.region_id,
                        self._county[v.region_id],
                        v.hall_id,
                        v.window_id or "",
                    )
                ] += 1
                if self.notifier.hooks:
                    self.notifier.notify(Notice.of(self.cfg, v), "新告警")
        for labels, count in counts.items():
            self.metrics.violations.labels(*labels).inc(count)
            self.metrics.dismissed.labels(*labels)  # at 0 from the start: increase() sees the first dismissal
        return rejected

    def _owners(self, items: list[tuple[Received, Violation]]) -> dict[str, str]:
        """Alerts owned one level up from the start (``alerts.start_escalated``: a citizen is
        waiting at an unstaffed window)."""
        kinds = set(self.cfg.alerts.start_escalated)
        return {
            v.event_id: parent
            for _, v in items
            if v.type in kinds
            for parent in [self._regions[v.region_id].parent]
            if parent
        }

    def _dead_letter(self, reason: str) -> None:
        kind = (
            reason.split(":", 1)[0]
            if reason.startswith(("schema", "conflict"))
            else ("not_json" if reason.startswith("not JSON") else "rejected")
        )
        self.metrics.dlq.labels(kind.split()[0]).inc()

    def _consume(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                if self.consumer is None:
                    alerts = self.cfg.alerts
                    self.consumer = AlertConsumer(
                        self.bootstrap,
                        self.handle,
                        self.cfg.kafka.topics,
                        alerts.group_id,
                        self._dead_letter,
                        alerts.instance_id,
                        int(alerts.session_timeout_s * 1000),
                    )
                self.consumer.poll_once(500)
                self.store_error, backoff = None, 1.0
                self.consumer_failing_since = self.consumer_error = None
                self.metrics.store_up.set(1)
            except StoreUnavailable as error:
                self.store_error = str(error)
                self.metrics.store_up.set(0)
                log.error("alert store unavailable (%s); retrying in %.0f s", error, backoff)
                self.stop_event.wait(backoff)
                backoff = min(30.0, backoff * 2)
            except Exception as error:  # noqa: BLE001 - the broker may be away: keep trying
                log.warning("consumer: %s; retrying", error)
                self.consumer_error = (
                    f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
                )
                self.consumer_failing_since = self.consumer_failing_since or time.monotonic()
                self.metrics.consumer_restarts.inc()
                if self.consumer is not None:
                    try:
                        self.consumer.close()
                    except Exception:  # noqa: BLE001
                        pass
                    self.consumer = None
                self.stop_event.wait(2)
            try:
                if self.consumer is not None:
                    self.metrics.consumer_lag.set(self.consumer.lag())
            except Exception:  # noqa: BLE001 - lag is best effort while the broker is away
                pass
        if self.consumer is not None:
            self.consumer.close()

    def consumer_alive(self) -> bool:
        return any(t.name == "consumer" and t.is_alive() for t in self._threads)

    def health(self) -> dict[str, Any]:
        """For /healthz: ``ok`` is false (HTTP 503) when the consumer thread died, the store is down,
        or Kafka has been unreachable or the consumer has kept failing (restarting) for longer than
        ``alerts.unhealthy_after_s``."""
        alive = self.consumer_alive()
        since = self.consumer_failing_since
        grace = self.cfg.alerts.unhealthy_after_s
        failing = since is not None and time.monotonic() - since > grace
        unreachable_s = 0.0 if self.kafka_reachable else time.monotonic() - self.kafka_reached_at
        return {
            "ok": alive and self.store_error is None and not failing and unreachable_s <= grace,
            "kafka_reachable": self.kafka_reachable,
            "kafka_unreachable_s": round(unreachable_s, 1),
            "consumer_error": self.consumer_error,
            "consumer_failing_s": round(time.monotonic() - since, 1) if since is not None else 0,
            "consumer_alive": alive,
            "store_ok": self.store_error is None,
            "store_error": self.store_error,
            "consumer_lag": int(self.metrics.consumer_lag._value.get()),
        }

    # -- escalation --------------------------------------------------------------------------------
    def escalate_once(self, now: datetime | None = None) -> int:
        """Alerts unacknowledged too long and cases overdue: up a level, notified."""
        return self.escalator.unacknowledged(now or datetime.now(UTC)) + self.escalate_overdue(now)

    def escalate_overdue(self, now: datetime | None = None) -> int:
        return self.escalator.overdue(now or datetime.now(UTC))

    def _escalate_loop(self) -> None:
        purged_at, stored_at = 0.0, 0.0
        while not self.stop_event.wait(15):
            try:
                self.escalate_once()
                self.metrics.notifications_failed.set(self.notifier.failed)
                if time.monotonic() - purged_at > 3600:  # ended console sessions, hourly
                    purged_at = time.monotonic()
                    purge_ended(self.repos.db, timedelta(hours=self.cfg.alerts.session_max_hours))
                self.repos.report_days.purge_changes()  # the report's change notes, kept minutes
                if time.monotonic() - stored_at > STORE_DAYS_EVERY_S:  # the report's finished days
                    stored_at = time.monotonic()
                    store_recent_days(self.cfg, self.repos)
            except Exception:
                log.exception("escalation check failed")

    # -- absences ----------------------------------------------------------------------------------
    def absence_registered(self, record: AbsenceRecord) -> None:
        """Publish the absence to the absences topic, which every pipeline worker follows."""
        publish_absence(self.bootstrap, self.cfg.kafka.topics.absences, absence_of(record))

    # -- lifecycle ---------------------------------------------------------------------------------
    def _probe_kafka(self) -> None:
        """kafka-python's consumer logs and retries quietly while every broker is away: whether one
        takes a TCP connection is what /healthz reports."""
        servers = [s.strip().rsplit(":", 1) for s in self.bootstrap.split(",") if s.strip()]
        while not self.stop_event.is_set():
            reached = False
            for host, port in servers:
                try:
                    socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
                    reached = True
                    break
                except (OSError, ValueError):
                    continue
            if reached:
                self.kafka_reached_at = time.monotonic()
            self.kafka_reachable = reached
            self.stop_event.wait(PROBE_EVERY_S)

    def start(self) -> None:
        for name, target in (
            ("consumer", self._consume),
            ("escalation", self._escalate_loop),
            ("kafka-probe", self._probe_kafka),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.rating_clips.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=15)
        self.rating_clips.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alerts", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    limit_repeats()
    cfg = load_or_exit(args.config)
    import uvicorn

    from alerts.api import create_app, server

    service = AlertService.open(cfg, args.database_url)
    service.start()
    app = create_app(service)
    host, port = args.host or cfg.alerts.host, args.port if args.port is not None else cfg.alerts.port
    server.warn_if_plain_http(host)
    log.info(
        "alerting service on http://%s:%d (API schema /api/openapi.json for administrators, metrics /metrics)",
        host,
        port,
    )
    try:
        uvicorn.Server(server.config(app, host, port)).run()
    finally:
        service.stop()
    return 0
