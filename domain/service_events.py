"""What a hall's own systems report (排队叫号 and 好差评): tickets issued, called, served and
finished at a window, and citizens' ratings. One typed definition for the HTTP intake, the CSV
import and the Kafka topic ``hallwatch.service-events``; its JSON Schema is generated from it
(``streams/schemas/hallwatch.service-event.v1.json``) for integrators writing their adapter.

An event's ``id`` is the integrator's own and makes a delivery idempotent: an id already stored
is not stored again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from domain.base import invalid, printable_name
from domain.events import EVENT_ID_PATTERN, Id, Time

SERVICE_EVENT_SCHEMA: Final = "hallwatch.service-event.v1"
ServiceEventKind = Literal["ticket_issued", "ticket_called", "ticket_served", "ticket_finished", "rating"]
AT_WINDOW: Final = ("ticket_called", "ticket_served", "ticket_finished", "rating")
POOR_SCORES: Final = (1, 2)  # 非常不满意, 不满意

Ticket = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")]
Text = Annotated[str, StringConstraints(max_length=64), AfterValidator(printable_name)]


@dataclass(frozen=True)
class ServiceEvent:
    """One event of a hall's queue-ticket (取号 → 叫号 → 办理 → 办结) or rating (好差评) system."""

    __pydantic_config__ = ConfigDict(title="Service event (排队叫号、好差评)", extra="forbid")

    id: Annotated[str, StringConstraints(pattern=EVENT_ID_PATTERN)] = Field(
        description="The integrator's id of this event, unique: a repeat is not stored again"
    )
    kind: ServiceEventKind = Field(
        description="ticket_issued | ticket_called | ticket_served | ticket_finished | rating"
    )
    hall: Id = Field(description="Hall id, as in hallwatch's config")
    at: Time = Field(description="When it happened, ISO 8601 with a UTC offset")
    window: Id | None = Field(None, description="Window id (every kind but ticket_issued)")
    ticket: Ticket | None = Field(
        None, description="The ticket number, e.g. A023 (every kind but a rating, optional there)"
    )
    service: Text | None = Field(None, description="ticket_issued: the service asked for, e.g. 社保")
    person: Text | None = Field(None, description="rating: the clerk rated, when the system knows")
    score: Annotated[int, Field(ge=1, le=5)] | None = Field(
        None, description="rating: 1 非常不满意 … 5 非常满意 (1 and 2 open a 差评 alert)"
    )
    comment: Annotated[str, StringConstraints(max_length=500), AfterValidator(printable_name)] | None = Field(
        None, description="rating: the citizen's words"
    )


def service_event_problems(e: ServiceEvent) -> ServiceEvent:
    """What each kind needs beyond its fields' own bounds."""
    if e.kind in AT_WINDOW and e.window is None:
        raise invalid("window_needed_for_kind", "a {kind} names its window", kind=e.kind)
    if e.kind != "rating" and e.ticket is None:
        raise invalid("ticket_needed", "a {kind} names its ticket", kind=e.kind)
    if (e.kind == "rating") != (e.score is not None):
        raise invalid("score_only_for_rating", "a rating has a score, and only a rating")
    if e.kind != "rating" and (e.comment is not None or e.person is not None):
        raise invalid("rating_fields", "person and comment belong to a rating")
    if e.kind != "ticket_issued" and e.service is not None:
        raise invalid("service_only_when_issued", "service belongs to ticket_issued")
    return e
