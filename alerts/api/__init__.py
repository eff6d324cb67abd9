"""The REST API of the alerting service (FastAPI; OpenAPI at /docs and /openapi.json).

One router per resource: sessions, alerts (list, detail, lifecycle, live stream), evidence
(files, case export), absences, rosters (排班), reports (attendance), statistics (统计), shift notes, the installers' tool, the big-screen wall (大屏), recordings (视频回溯), tickets and ratings (叫号评价), sites (registry, cameras, coverage, labels), operations
(metrics, health) and the console's pages. They share one ``ApiContext``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from alerts.api import (
    absences,
    alerts,
    console,
    evidence,
    install,
    integrations,
    ops,
    recordings,
    reports,
    rosters,
    sessions,
    shifts,
    sites,
    stats,
    tickets,
    wall,
)
from alerts.api.context import ApiContext, Service
from alerts.api.headers import SecurityHeaders
from alerts.api.limits import BodyLimit
from streams.wire import json_safe_details


def create_app(service: Service) -> FastAPI:
    cfg = service.cfg
    app = FastAPI(
        # No public API documentation: Swagger UI would load from a CDN (and cannot offline); the
        # schema is served to administrators only (alerts.api.ops).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        title="hallwatch alerting service",
        version="1",
        description="Alerts of the electronic supervision of service halls (电子监察告警服务).",
    )
    ctx = ApiContext.build(service)
    app.state.ctx = ctx
    app.state.users = ctx.users
    for module in (
        sessions,
        alerts,
        evidence,
        absences,
        rosters,
        sites,
        reports,
        stats,
        shifts,
        install,
        tickets,
        wall,
        integrations,
        recordings,
        ops,
        console,
    ):
        app.include_router(module.router)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(BodyLimit, max_bytes=cfg.alerts.max_body_kb * 1024)
    app.add_middleware(SecurityHeaders)
    return app


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    """A request that does not validate: 422 with each problem's place and kind, as FastAPI's own
    answer has them, but without echoing the input (FastAPI's did, and a body holding NaN or
    Infinity, which Python's JSON parser takes, then failed to encode: a 500)."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": json_safe_details(error.errors())}, status_code=422)
