"""The big-screen wall (大屏): one read-only summary of the user's subtree for the supervision
centre's wall display, refreshed by the page itself. Decisions are data: alerts an officer dismissed
are counted nowhere here."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response

from alerts.access.auth import Principal
from alerts.api.context import COMMON_RESPONSES, ApiContext, Ctx, who
from alerts.attendance.report import AttendanceReport, Totals
from alerts.coverage import coverage_view
from configs import labels

router = APIRouter(tags=["wall"], responses=COMMON_RESPONSES)
LEVELS = ("city", "county", "township")
TICKER, TOP_HALLS = 12, 8


@router.get("/api/wall")
def wall(response: Response, principal: Principal = who("view_wall"), ctx: ApiContext = Ctx):
    """Today's alerts by type and level, coverage and 到岗率 of the three levels, people waiting now,
    the halls with the most open alerts, and the newest alerts (all within the user's subtree)."""
    cfg = ctx.cfg
    now = datetime.now(UTC)
    day = now.astimezone(ZoneInfo(cfg.timezone)).date()
    day_start, _ = AttendanceReport(cfg).day_bounds(day)
    halls = {h.id: h for h in cfg.halls if ctx.sees_hall(principal, h.id)}
    by_type: dict[str, int] = {}
    by_level: dict[str, int] = {}
    pending = dismissed = 0
    for type_, level, _, lifecycle, outcome, n in ctx.store.tally(principal.region_prefix, day_start):
        if outcome == "dismissed":
            dismissed += n
            continue
        by_type[type_] = by_type.get(type_, 0) + n
        by_level[level] = by_level.get(level, 0) + n
        pending += n if lifecycle in ("new", "acknowledged") else 0
    view = coverage_view(
        cfg, ctx.metrics.collector.coverage(), principal.region_id, principal.region_prefix, lambda h: h in halls
    )
    cover = view["by_region"].get("all") or view["by_region"].get(principal.region_id, {})
    report = ctx.metrics.queues.report()
    attendance = {level: Totals() for level in LEVELS}
    for (report_day, hall_id), totals in report.halls.items():
        if report_day == day and hall_id in halls:
            attendance[cfg.region(halls[hall_id].region).level.value].add(totals)
    overall = Totals()
    for totals in attendance.values():
        overall.add(totals)
    waiting = {h: n for h, n in ctx.metrics.queues.waiting_now().items() if h in halls}
    ticker = ctx.store.list(region_path=principal.region_prefix, limit=3 * TICKER)
    window_names = {(h.id, w.id): w.name or w.id for h in halls.values() for w in h.windows}
    response.headers["Cache-Control"] = "no-store"
    return {
        "generated_at": now.isoformat(),
        "date": day.isoformat(),
        "region": cfg.region(principal.region_id).name,
        "today": {
            "total": sum(by_type.values()),
            "pending_review": pending,
            "dismissed": dismissed,
            "by_type": [
                {"type": code, "name": name, "count": by_type.get(code, 0)}
                for code, name in labels.VIOLATION_TYPES.items()
            ],
            "by_level": [{"level": lv, "name": labels.LEVELS[lv], "count": by_level.get(lv, 0)} for lv in LEVELS],
        },
        "coverage": [
            {
                "level": lv,
                "name": labels.LEVELS[lv],
                "halls": cover.get(lv, {}).get("halls", 0),
                "covered": cover.get(lv, {}).get("halls_covered", 0),
                "ratio": cover.get(lv, {}).get("ratio"),
            }
            for lv in LEVELS
        ],
        "attendance": {
            "share": overall.staffed_share,
            "by_level": [
                {"level": lv, "name": labels.LEVELS[lv], "share": attendance[lv].staffed_share} for lv in LEVELS
            ],
        },
        "waiting_now": {
            "total": sum(waiting.values()),
            "halls": [
                {"hall_id": h, "name": halls[h].name, "people": n}
                for h, n in sorted(waiting.items(), key=lambda x: (-x[1], x[0]))[:TOP_HALLS]
                if n
            ],
        },
        "top_halls": [
            {"hall_id": h, "name": halls[h].name, "open": n}
            for h, n in ctx.store.open_by_hall(principal.region_prefix, TOP_HALLS)
            if h in halls
        ],
        "ticker": [
            {
                "event_id": a.event_id,
                "type": labels.VIOLATION_TYPES.get(a.type, a.type),
                "reason": labels.REASONS.get(a.reason or "", ""),
                "hall": halls[a.hall_id].name if a.hall_id in halls else a.hall_id,
                "window": window_names.get((a.hall_id, a.window_id or ""), ""),
                "started_at": a.started_at.isoformat(),
                "lifecycle": a.lifecycle,
            }
            for a in ticker
            if a.review_outcome != "dismissed" and a.hall_id in halls
        ][:TICKER],
    }
