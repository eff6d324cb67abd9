"""Every repository of the alerting service over one database, built in one place."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.store.absences import AbsenceStore
from alerts.store.alerts import AlertStore
from alerts.store.cameras import CameraStore
from alerts.store.cases import CaseStore
from alerts.store.database import Database
from alerts.store.measurements import MeasurementStore
from alerts.store.report_days import ReportDayStore
from alerts.store.rosters import RosterStore
from alerts.store.service_events import ServiceEventStore
from alerts.store.shift_notes import ShiftNoteStore
from alerts.store.video_requests import VideoRequestStore


@dataclass(frozen=True)
class Repositories:
    db: Database
    alerts: AlertStore
    cases: CaseStore
    cameras: CameraStore
    absences: AbsenceStore
    shift_notes: ShiftNoteStore
    measurements: MeasurementStore
    rosters: RosterStore
    report_days: ReportDayStore
    service_events: ServiceEventStore
    video_requests: VideoRequestStore

    @classmethod
    def over(cls, db: Database) -> Repositories:
        return cls(
            db,
            AlertStore(db),
            CaseStore(db),
            CameraStore(db),
            AbsenceStore(db),
            ShiftNoteStore(db),
            MeasurementStore(db),
            RosterStore(db),
            ReportDayStore(db),
            ServiceEventStore(db),
            VideoRequestStore(db),
        )

    @classmethod
    def open(cls, url: str) -> Repositories:
        """Creates the schema where it is missing."""
        return cls.over(Database.open(url))
