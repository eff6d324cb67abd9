"""Reads what the attendance report is built from (service minutes, alerts, registered absences)
for a set of halls and days, and builds it (``alerts.attendance.report``). Days that are over are
stored once built (``alerts.attendance.stored``): a long range reads them back and builds only
the days not stored yet, today, and those an input write touched since."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.attendance.report import AbsenceRow, AlertRow, AttendanceReport, HallDay, MinuteRow, Report
from alerts.attendance.stored import config_key, from_json, to_json
from alerts.store.repositories import Repositories
from configs.model import Hall, HallwatchConfig


def load_report(
    cfg: HallwatchConfig, repos: Repositories, halls: list[Hall], start: date, end: date, use_stored: bool = True
) -> Report:
    report = AttendanceReport(cfg)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if not halls:
        return report.build([], days, [], [], [])
    now = datetime.now(UTC)
    key = config_key(cfg)
    over = [d for d in days if report.day_bounds(d)[1] <= now]
    known: dict[tuple[str, date], HallDay] = {}
    if use_stored:
        known = {k: from_json(body) for k, body in repos.report_days.get([h.id for h in halls], over, key).items()}
    missing = [(h, d) for d in days for h in halls if (h.id, d) not in known]
    if not missing:
        return report.assemble(halls, days, known)
    need_halls = [h for h in halls if any(m[0] is h for m in missing)]
    need_days = sorted({d for _, d in missing})
    read_at = datetime.now(UTC)
    built = _build(report, repos, need_halls, need_days)
    fresh = {k: v for k, v in built.items() if k not in known}
    if use_stored:
        closed = set(over)
        repos.report_days.put(
            [
                {
                    "hall_id": hall_id,
                    "day": day.isoformat(),
                    "starts_at": report.day_bounds(day)[0],
                    "ends_at": report.day_bounds(day)[1],
                    "config_key": key,
                    "body": to_json(value),
                }
                for (hall_id, day), value in fresh.items()
                if day in closed
            ],
            read_at,
        )
    return report.assemble(halls, days, {**fresh, **known})


def store_recent_days(cfg: HallwatchConfig, repos: Repositories, days: int = 7) -> None:
    """Build and store the last ``days`` days that are over and not stored yet (the service does it
    every few minutes): a report over past days then reads stored days only."""
    today = datetime.now(ZoneInfo(cfg.timezone)).date()
    load_report(cfg, repos, list(cfg.halls), today - timedelta(days=days), today - timedelta(days=1))


def _build(report: AttendanceReport, repos: Repositories, halls: list[Hall], days: list[date]) -> dict:
    """The hall-days of ``halls`` on ``days``, built from the stored rows."""
    ids = [h.id for h in halls]
    since, until = report.day_bounds(days[0])[0], report.day_bounds(days[-1])[1]
    minutes = [MinuteRow(*row) for row in repos.measurements.post_minute_values(ids, since, until)]
    alerts = [
        AlertRow(h, w, t, reason, s, e or s + timedelta(seconds=d), outcome == "confirmed")
        for h, w, t, reason, s, e, d, outcome in repos.alerts.report_alerts(ids, since, until)
    ]
    absences = [
        AbsenceRow(a.hall_id, report.absence_window(a.hall_id, a.window_id, a.zone_id), a.start, a.end)
        for a in repos.absences.list(ids)
        if a.end > since and a.start < until
    ]
    return report.hall_days(halls, days, minutes, alerts, absences)
