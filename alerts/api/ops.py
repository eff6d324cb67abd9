"""For Prometheus and the orchestrator: metrics and health."""
from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alerts.api.context import ApiContext, Ctx

router = APIRouter(tags=["operations"])


@router.get("/metrics")
def prometheus_metrics(ctx: ApiContext = Ctx):
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz(ctx: ApiContext = Ctx):
    return {"ok": True, "consumer_alive": ctx.service.consumer_alive() if ctx.service else None}
