"""Reports: the daily attendance report (考勤报表) per window, hall and region, as JSON, CSV or XLSX.
Region-scoped like everything else: a user sees the halls of their own subtree."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, check_date_range, who
from alerts.attendance.export import ReportTables
from alerts.attendance.source import load_report
from alerts.attendance.tickets import figures, with_camera_waits
from alerts.store.schema import region_path_key

router = APIRouter(tags=["reports"], responses=COMMON_RESPONSES)
MAX_DAYS = 92
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def attendance_data(ctx: ApiContext, start: date, end: date, prefix: str, only_hall: str | None = None) -> dict:
    """The report of the halls under ``prefix`` (``only_hall``: that one) for the days start..end
    (inclusive), as JSON rows."""
    cfg = ctx.cfg
    halls = [h for h in cfg.halls if ctx.hall_paths[h.id].startswith(prefix) and only_hall in (None, h.id)]
    built = load_report(cfg, ctx.repos, halls, start, end)
    visible = {r.id for r in cfg.regions if region_path_key(cfg.region_path(r.id)).startswith(prefix)}
    tz = ZoneInfo(cfg.timezone)
    since, until = datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)
    hall_ids = [h.id for h in halls]
    tickets = with_camera_waits(
        figures(ctx.repos.service_events.between(hall_ids, since, until), tz),
        ctx.repos.measurements.waits(hall_ids, since, until),
        tz,
    )
    return ReportTables(cfg, ctx.roster()).as_json(built, visible, tickets)


@router.get(
    "/api/reports/attendance",
    responses={
        200: {
            "content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}},
            "description": "The report: JSON rows, or a CSV/XLSX download",
        },
        429: {"description": "As many reports are being built (alerts.max_concurrent_reports): retry later"},
    },
)
def attendance(
    start: date = Query(description="First day (the halls' local date)"),
    end: date = Query(description="Last day, inclusive; at most 92 days after start"),
    region: str | None = Query(None, description="Region id: its whole subtree"),
    format: Literal["json", "csv", "xlsx"] = "json",
    principal: Principal = who("view_hall"),
    ctx: ApiContext = Ctx,
):
    check_date_range(start, end, MAX_DAYS)
    prefix = ctx.region_prefix(region, principal)
    with ctx.reports.take():
        data = attendance_data(ctx, start, end, prefix, principal.hall_id)
        if format == "json":
            return data
        tables = ReportTables(ctx.cfg, ctx.roster())
        title = ctx.export_title("考勤报表", start, end, region, principal)
        body = tables.csv(data) if format == "csv" else tables.xlsx(data, title)
    name = f"attendance-{start.isoformat()}-{end.isoformat()}.{format}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})
