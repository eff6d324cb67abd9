"""For Prometheus and the orchestrator: metrics and health."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from alerts.access.auth import Principal
from alerts.api.context import ApiContext, Ctx, who
from alerts.exposition import render
from alerts.notify import try_channels

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    responses={
        200: {"content": {"text/plain": {}}},
        401: {"description": "alerts.metrics_token is set and the bearer token is wrong"},
    },
)
def prometheus_metrics(request: Request, ctx: ApiContext = Ctx):
    """Prometheus metrics; with ``alerts.metrics_token`` set, only for ``Authorization: Bearer <token>``."""
    token = ctx.cfg.alerts.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return JSONResponse(
                {"detail": "a bearer token is required"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
    return Response(render(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/openapi.json", include_in_schema=False)
def openapi_schema(request: Request, _: Principal = who("manage_users")):
    """The API's OpenAPI schema, for administrators (integrators get it from them)."""
    return JSONResponse(request.app.openapi())


@router.get("/healthz", responses={503: {"description": "The consumer stopped or the alert store is down"}})
def healthz(ctx: ApiContext = Ctx):
    """200 while messages can flow from Kafka into the store; 503 (with the reason) otherwise."""
    health = ctx.service.health()
    return JSONResponse(health, status_code=200 if health["ok"] else 503)


@router.post("/api/notifications/test")
def try_notification_channels(principal: Principal = who("manage_users"), ctx: ApiContext = Ctx):
    """Sends a test message (it says it is one) to every webhook of ``alerts.webhooks`` now and
    answers what each receiver said: HTTP status, the robot's ``errcode``, the first 300 characters
    of its answer, the time taken. Targets are shown without path or query (robots' tokens)."""
    results = try_channels(ctx.cfg.alerts.webhooks, principal.display_name or principal.username)
    ctx.store.record(None, principal.username, "notification_test", {"ok": [r["ok"] for r in results]})
    return {"channels": results}
