"""For Prometheus and the orchestrator: metrics and health."""
from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alerts.api.context import ApiContext, Ctx

router = APIRouter(tags=["operations"])


@router.get("/metrics")
def prometheus_metrics(ctx: ApiContext = Ctx):
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", responses={503: {"description": "The consumer stopped or the alert store is down"}})
def healthz(ctx: ApiContext = Ctx):
    """200 while messages can flow from Kafka into the store; 503 (with the reason) otherwise."""
    if ctx.service is None:
        return {"ok": True, "consumer_alive": None}
    health = ctx.service.health()
    return JSONResponse(health, status_code=200 if health["ok"] else 503)
