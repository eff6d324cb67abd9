"""The halls' own systems report here (排队叫号、好差评): ``POST /api/integrations/service-events``
with ``Authorization: Bearer <token>`` of an integration in the config, a JSON body
``{"events": [...]}`` (schema ``hallwatch.service-event.v1``) or the same events as CSV
(``Content-Type: text/csv``, a header row of the field names). All or nothing: one bad event
refuses the whole request (422 naming each field), an event of a hall the integration may not
report refuses it (403); events already stored (by id) are not stored again."""

from __future__ import annotations

import csv
import io
import json
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from alerts.api.context import ApiContext, Ctx, unprocessable
from configs.model import Integration
from domain.service_events import ServiceEvent
from streams.wire import problems

router = APIRouter(tags=["integrations"])
MAX_EVENTS = 1000
CSV_FIELDS = ("id", "kind", "hall", "window", "ticket", "service", "person", "score", "comment", "at")
# The field a check of the whole event is about (its error has no field of its own).
FIELD_OF = {
    "window_needed_for_kind": "window",
    "ticket_needed": "ticket",
    "score_only_for_rating": "score",
    "rating_fields": "comment",
    "service_only_when_issued": "service",
}
UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="hallwatch integrations"'}


def _integration(request: Request, ctx: ApiContext) -> Integration:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        for integration in ctx.cfg.integrations:  # each compared in constant time
            if integration.token and secrets.compare_digest(token.encode(), integration.token.encode()):
                return integration
    raise HTTPException(401, "a valid integration token is required", headers=UNAUTHORIZED)


def _from_csv(body: bytes) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unprocessable(["body"], "CSV must be UTF-8", "csv_encoding") from None
    reader = csv.DictReader(io.StringIO(text))
    unknown = [f for f in reader.fieldnames or [] if f not in CSV_FIELDS]
    if not reader.fieldnames or unknown:
        raise unprocessable(["body"], f"a header row of {', '.join(CSV_FIELDS)}", "csv_header")
    rows: list[dict[str, Any]] = []
    for row in reader:
        if None in row:  # more cells than the header names
            raise unprocessable(["body", "events", len(rows)], "too many cells", "csv_row")
        event: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
        if isinstance(event.get("score"), str) and event["score"].isdigit():
            event["score"] = int(event["score"])
        rows.append(event)
        if len(rows) > MAX_EVENTS:
            break
    return rows


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _from_json(body: bytes) -> list[Any]:
    try:
        data = json.loads(body, parse_constant=_not_json)  # NaN and Infinity are Python's, not JSON
    except (ValueError, RecursionError):
        raise unprocessable(["body"], "not JSON", "json_invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list) or set(data) != {"events"}:
        raise unprocessable(["body", "events"], 'a JSON object {"events": [...]}', "missing")
    return data["events"]


@router.post(
    "/api/integrations/service-events",
    responses={
        401: {"description": "No token, or not an integration's"},
        403: {"description": "An event of a hall this integration may not report"},
        422: {"description": "A malformed event (each field named); nothing of the request was stored"},
    },
)
async def service_events(request: Request, ctx: ApiContext = Ctx):
    """Queue tickets and ratings from a hall's own systems; answers how many were stored and how many
    were repeats of events already stored."""
    integration = _integration(request, ctx)
    body = await request.body()
    csv_body = request.headers.get("content-type", "").split(";")[0].strip().lower() == "text/csv"
    items = _from_csv(body) if csv_body else _from_json(body)
    if not items or len(items) > MAX_EVENTS:
        raise HTTPException(
            422,
            [{"loc": ["body", "events"], "type": "too_long" if items else "too_short", "msg": f"1 to {MAX_EVENTS} events",
              "ctx": {"min_length": 1, "max_length": MAX_EVENTS}}]
        )  # fmt: skip
    events: list[ServiceEvent] = []
    found: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        event, wrong = problems(ServiceEvent, json.dumps(item, ensure_ascii=False))
        for p in wrong:
            field = p["loc"] or [FIELD_OF.get(p["type"], "event")]
            found.append({**p, "loc": ["body", "events", i, *field]})
        if event is not None:
            refused = ctx.service.gate.service_event_problem(event)
            if refused:
                field, why = refused
                found.append({"loc": ["body", "events", i, field], "type": f"unknown_{field}", "msg": why})
            elif event.hall not in integration.halls:
                raise HTTPException(403, f"integration {integration.id!r} may not report hall {event.hall!r}")
            else:
                events.append(event)
    if found:
        raise HTTPException(422, found[:100])
    source = f"csv:{integration.id}" if csv_body else integration.id
    stored, repeats = await run_in_threadpool(ctx.service.intake.take, events, source)
    return {"stored": stored, "repeats": repeats}
