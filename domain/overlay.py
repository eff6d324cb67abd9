"""The evidence overlay document (``<kind>_overlay.json`` beside a raw clip, signed by the case's
manifest): what the rule saw and decided, frame by frame. Defined once here, like the messages in
``domain.events``: the pipeline builds it, the console draws it over the playing clip, the export
burns it into an annotated copy, and ``streams.wire`` checks it and generates its JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import ConfigDict, Field, StringConstraints

from domain.base import MAX_POLYGON_POINTS, Coordinate
from domain.events import Time

OVERLAY_SCHEMA: Final = "hallwatch.evidence-overlay.v1"

TrackNumber = Annotated[int, Field(ge=-1, le=2**31 - 1)]


@dataclass(frozen=True)
class OverlayZone:
    __pydantic_config__ = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(max_length=64)]
    kind: Literal["post", "staff_area", "service_area", "queue_area"]
    label: Annotated[str, StringConstraints(max_length=200)]
    colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-f]{6}$")]
    polygon: Annotated[tuple[tuple[Coordinate, Coordinate], ...], Field(min_length=3, max_length=MAX_POLYGON_POINTS)]
    violation: Annotated[bool, Field(description="The violation's own zone.")]


@dataclass(frozen=True)
class OverlayPair:
    __pydantic_config__ = ConfigDict(extra="forbid")

    track_ids: tuple[TrackNumber, TrackNumber]
    distance_m: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]


@dataclass(frozen=True)
class OverlayFrame:
    __pydantic_config__ = ConfigDict(extra="forbid")

    t: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False, description="Seconds into the clip.")]
    at: Annotated[str, StringConstraints(max_length=40), Field(description="The frame's time as shown.")]
    people: Annotated[
        tuple[tuple[TrackNumber, Coordinate, Coordinate, Coordinate, Coordinate], ...],
        Field(max_length=1000, description="[track id, x1, y1, x2, y2] in the source's pixels."),
    ]


@dataclass(frozen=True)
class EvidenceOverlay:
    """What the rule saw and decided beside a raw evidence clip. Pixel coordinates are the
    source's (``size``)."""

    __pydantic_config__ = ConfigDict(title="Evidence overlay data", extra="forbid")

    clip: Annotated[str, StringConstraints(pattern=r"^[a-z]+_raw\.mp4$"), Field(description="The clip beside it.")]
    clip_start: Annotated[Time, Field(description="Time of the clip's first frame.")]
    size: tuple[Annotated[int, Field(ge=1, le=16_384)], Annotated[int, Field(ge=1, le=16_384)]]
    involved: Annotated[tuple[TrackNumber, ...], Field(max_length=1000, description="The violation's track ids.")]
    pairs: Annotated[tuple[OverlayPair, ...], Field(max_length=1000)]
    zones: Annotated[tuple[OverlayZone, ...], Field(max_length=200)]
    frames: Annotated[tuple[OverlayFrame, ...], Field(max_length=100_000, description="Every analysed frame.")]
    title: Annotated[str, StringConstraints(max_length=300), Field(description="Hall · camera · window.")] = ""
    subtitle: Annotated[str, StringConstraints(max_length=300), Field(description="Type · reason · people.")] = ""
    schema: Literal["hallwatch.evidence-overlay.v1"] = OVERLAY_SCHEMA
