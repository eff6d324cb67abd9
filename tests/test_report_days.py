"""Stored days of the attendance report (issue 24: a long range is a sum of stored days): a day
that is over is read back exactly as it was built, and every write of its inputs — a review, a
late minute, an absence registered afterwards, a changed config — makes it built again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.attendance.source import load_report
from alerts.attendance.stored import config_key
from alerts.store.schema import AbsenceRecord, ReportChange, ReportDay
from domain.events import PostMinute, ServiceMinute
from tests import attendance_scenario as att


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return att.alert_service(att.build_actors(), tmp_path_factory.mktemp("days"))


def report(service, stored=True):
    day = att.START.date()
    return load_report(service.cfg, service.repos, list(service.cfg.halls), day, day, use_stored=stored)


def settle(service) -> None:
    """As if a quarter of an hour passed: the notes of recent writes are gone (a day built right
    after a write of its inputs is not stored: the write may have raced the build)."""
    with service.repos.db.session() as session:
        session.query(ReportChange).delete()


def stored_days(service) -> int:
    with service.repos.db.sessions() as session:
        return session.query(ReportDay).count()


def test_a_stored_day_reads_back_as_built_and_forgets_every_change(scene):
    service, _ = scene
    settle(service)
    fresh = report(service, stored=False)
    first = report(service)  # built and stored (the scenario's day is over)
    assert stored_days(service) == 1
    again = report(service)  # read back, not rebuilt
    assert first == fresh and again == fresh

    # An officer dismisses one of that day's alerts: the day is built again without it.
    hall = service.cfg.halls[0].id
    alert = next(a for a in service.store.list(hall=hall) if a.window_id)
    service.lifecycle.transition(alert.event_id, "op", "acknowledge")
    assert stored_days(service) == 1  # an acknowledgement changes nothing the report counts
    service.lifecycle.transition(alert.event_id, "officer", "review", "误报", "dismissed")
    assert stored_days(service) == 0
    after_review = report(service)
    assert after_review == report(service, stored=False)
    count = lambda r: sum(sum(w.totals.violations.values()) for w in r.windows)  # noqa: E731
    assert count(after_review) == count(fresh) - 1
    assert stored_days(service) == 0  # built right after the write: not stored yet
    settle(service)
    report(service)

    # A minute that arrives late from a pipeline's spool.
    minute = next(iter(service.repos.measurements.post_minutes([hall], att.START, att.START + timedelta(hours=1))))
    late = ServiceMinute(
        camera_id=minute.camera_id,
        hall_id=hall,
        minute=minute.minute,
        observed_s=60.0,
        posts=(PostMinute(window_id=minute.window_id, staffed_s=0.0, first_in=None, last_in=None),),
        areas=(),
        waits=(),
        produced_at=datetime.now(UTC),
    )
    assert stored_days(service) == 1
    service.repos.measurements.apply_minutes([late])
    assert stored_days(service) == 0
    assert report(service) == report(service, stored=False)
    settle(service)
    report(service)

    # An absence registered afterwards for that morning.
    assert stored_days(service) == 1
    service.repos.absences.add(
        AbsenceRecord(
            id="late-registration",
            hall_id=hall,
            window_id=minute.window_id,
            zone_id=None,
            person=None,
            start=att.START,
            end=att.START + timedelta(minutes=5),
            reason="外出办事",
            registered_by="op",
        ),
        "op",
    )
    assert stored_days(service) == 0
    rebuilt = report(service)
    assert rebuilt == report(service, stored=False) and sum(w.totals.absences for w in rebuilt.windows) >= 1


def test_a_changed_config_builds_the_days_again(scene):
    service, _ = scene
    settle(service)
    report(service)
    assert stored_days(service) == 1
    changed = service.cfg.model_copy(update={"halls": [replace_name(service.cfg.halls[0])]})
    day = att.START.date()
    # Not the stored day: built under the new config, and stored in its place under its own key.
    load_report(changed, service.repos, list(changed.halls), day, day)
    with service.repos.db.sessions() as session:
        assert session.query(ReportDay).count() == 1  # one row per hall-day: the newer build replaced it
        assert session.query(ReportDay).one().config_key == config_key(changed) != config_key(service.cfg)


def replace_name(hall):
    return hall.model_copy(update={"name": hall.name + "（改）"})


def test_a_day_built_while_its_inputs_changed_is_not_stored(scene):
    service, _ = scene
    from alerts.store.report_days import forget

    with service.repos.db.sessions() as session:
        session.query(ReportDay).delete()
        session.commit()
    read_at = datetime.now(UTC) - timedelta(minutes=5)  # the rows were read before ...
    with service.repos.db.session() as session:  # ... a write touched that morning
        forget(session, service.cfg.halls[0].id, att.START, att.START + timedelta(minutes=1))
    row = {
        "hall_id": service.cfg.halls[0].id,
        "day": att.START.date().isoformat(),
        "starts_at": att.START - timedelta(hours=9),
        "ends_at": att.START + timedelta(hours=15),
        "config_key": "k",
        "body": {"windows": [], "totals": {}},
    }
    assert service.repos.report_days.put([row], read_at) == 0
    assert service.repos.report_days.put([row], datetime.now(UTC) + timedelta(minutes=2)) == 1


def test_the_service_stores_the_recent_finished_days(scene):
    """Every few minutes the service builds the days that are over and not stored yet: a report
    over past days then reads stored days only."""
    from zoneinfo import ZoneInfo

    from alerts.attendance.source import store_recent_days

    service, _ = scene
    settle(service)
    store_recent_days(service.cfg, service.repos, days=3)
    today = datetime.now(ZoneInfo(service.cfg.timezone)).date()
    with service.repos.db.sessions() as session:
        days = {row.day for row in session.query(ReportDay)}
    assert {(today - timedelta(days=n)).isoformat() for n in (1, 2, 3)} <= days
    assert today.isoformat() not in days  # today is not over: always built from its rows
