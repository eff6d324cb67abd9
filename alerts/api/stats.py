"""Statistics (统计): alerts by decision and case, grouped by rule, hall, region, person on duty
or week, as JSON, CSV or XLSX. Region-scoped; a hall manager sees their hall's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, check_date_range, who
from alerts.spreadsheet import Percent, csv_bytes, xlsx_bytes
from alerts.statistics import COLUMNS, GroupBy, Statistics
from alerts.store.schema import region_path_key

router = APIRouter(tags=["statistics"], responses=COMMON_RESPONSES)
MAX_DAYS = 366
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
GROUP_NAMES = {"type": "按规则", "hall": "按大厅", "region": "按区域", "person": "按人员", "week": "按周"}


@router.get(
    "/api/stats",
    responses={
        200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}, "description": "JSON rows, or a CSV/XLSX download"},
        429: {"description": "As many reports are being built (alerts.max_concurrent_reports): retry later"},
    },
)
def statistics(
    start: date = Query(description="First day (the halls' local date)"),
    end: date = Query(description="Last day, inclusive; at most 366 days after start"),
    region: str | None = Query(None, description="Region id: its whole subtree"),
    group_by: GroupBy = Query("type", description="type | hall | region (subtree totals) | person (on duty) | week"),
    format: Literal["json", "csv", "xlsx"] = "json",
    principal: Principal = who("view_hall"),
    ctx: ApiContext = Ctx,
):
    """Rows ``key, name, alerts, confirmed, dismissed, pending_review, false_alarm_rate`` (dismissed ÷
    reviewed, null when none) ``, dispatched, rectified_on_time, rectified_late, overdue,
    late_minutes, early_leave_minutes``, and their ``total``."""
    check_date_range(start, end, MAX_DAYS)
    prefix = ctx.region_prefix(region, principal)
    tz = ZoneInfo(ctx.cfg.timezone)
    since = datetime.combine(start, time(), tz)
    until = datetime.combine(end + timedelta(days=1), time(), tz)
    cfg = ctx.cfg
    visible = {r.id for r in cfg.regions if region_path_key(cfg.region_path(r.id)).startswith(prefix)}
    with ctx.reports.take():
        facts = ctx.repos.cases.facts(since, until, prefix, principal.hall_id)
        rows, total = Statistics(cfg, ctx.roster(), visible).rows(facts, group_by, datetime.now(UTC))
    data = {"start": start.isoformat(), "end": end.isoformat(), "group_by": group_by, "rows": rows, "total": total}
    if format == "json":
        return data
    headers = [label for _, label in COLUMNS]
    table = [
        [Percent(row[key]) if key == "false_alarm_rate" and row[key] is not None else row[key] for key, _ in COLUMNS]
        for row in [*rows, total]
    ]
    title = ctx.export_title(f"统计{GROUP_NAMES[group_by]}", start, end, region, principal)
    body = (
        csv_bytes(headers, table) if format == "csv" else xlsx_bytes({GROUP_NAMES[group_by]: (headers, table)}, title)
    )
    name = f"stats-{group_by}-{start.isoformat()}-{end.isoformat()}.{format}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})
