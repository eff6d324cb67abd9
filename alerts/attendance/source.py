"""Reads what the attendance report is built from (service minutes, alerts, registered absences)
for a set of halls and days, and builds it (``alerts.attendance.report``)."""

from __future__ import annotations

from datetime import date, timedelta

from alerts.attendance.report import AbsenceRow, AlertRow, AttendanceReport, MinuteRow, Report
from alerts.store.repositories import Repositories
from configs.model import Hall, HallwatchConfig


def load_report(cfg: HallwatchConfig, repos: Repositories, halls: list[Hall], start: date, end: date) -> Report:
    report = AttendanceReport(cfg)
    ids = [h.id for h in halls]
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if not ids:
        return report.build([], days, [], [], [])
    since, until = report.day_bounds(start)[0], report.day_bounds(end)[1]
    minutes = [
        MinuteRow(r.hall_id, r.window_id, r.minute, r.observed_s, r.staffed_s, r.first_in, r.last_in)
        for r in repos.measurements.post_minutes(ids, since, until)
    ]
    alerts = [
        AlertRow(h, w, t, reason, s, e or s + timedelta(seconds=d), outcome == "confirmed")
        for h, w, t, reason, s, e, d, outcome in repos.alerts.report_alerts(ids, since, until)
    ]
    absences = [
        AbsenceRow(a.hall_id, report.absence_window(a.hall_id, a.window_id, a.zone_id), a.start, a.end)
        for a in repos.absences.list(ids)
        if a.end > since and a.start < until
    ]
    return report.build(halls, days, minutes, alerts, absences)
