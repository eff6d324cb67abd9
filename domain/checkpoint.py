"""A camera's rule state as a message (``hallwatch.rule-state.v1``): what a pipeline worker that
takes a camera over needs to continue its open episodes — an empty post since 09:12, a gathering in
progress, the violations already announced. Checkpoints travel on a compacted topic keyed by
camera id; ``detectors.rules.snapshot`` turns the rules' trackers into this and back.

Like every message it is hostile until validated (``streams.wire.decode``): bounded, finite,
times with an offset, no unknown keys; a checkpoint that does not fit starts its camera afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from domain.events import Id, Metres, People, QueueReason, Reason, TrackId

RULE_STATE_SCHEMA: Final = "hallwatch.rule-state.v1"
VERSION: Final = 1


def _representable(value: datetime) -> datetime:
    if not 1970 <= value.year <= 9999:  # the rules mark "none yet" with 1970 and 9999
        raise ValueError("a time between the years 1970 and 9999")
    return value


Time = Annotated[AwareDatetime, AfterValidator(_representable)]
Score = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
Frames = Annotated[int, Field(ge=0, le=2**40)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EpisodeDetails(_Part):
    """What a rule noted about an episode so far (each rule fills its own)."""

    reason: Reason | None = None
    reasons: Annotated[list[QueueReason], Field(max_length=3)] | None = None
    people: People | None = None
    track_ids: Annotated[list[TrackId], Field(max_length=10_000)] | None = None
    min_distance_m: Metres | None = None
    pairs: Annotated[list[tuple[tuple[TrackId, TrackId], Metres]], Field(max_length=50)] | None = None
    detection: tuple[Frames, Frames, Frames, Score] | None = Field(
        None, description="Frames, people seen in them, of those detected (not held), their scores' sum."
    )
    suppressed: (
        Annotated[dict[Annotated[str, StringConstraints(max_length=32)], JsonValue], Field(max_length=16)] | None
    ) = Field(None, description="The registered absence that ended an empty post.")
    interval: Time | None = Field(None, alias="_interval", description="The supervised interval the episode began in.")
    period_end: Time | None = Field(None, alias="_period_end", description="The end of its service period.")


class EpisodeState(_Part):
    started_at: Time
    last_at: Time
    open: bool = Field(description="A violation was announced for it.")
    details: EpisodeDetails = Field(default_factory=EpisodeDetails)


class EmptyPostTrackerState(_Part):
    """An empty-post zone: since when it is empty, the return under way, the announced violation."""

    kind: Literal["empty_post"] = "empty_post"
    empty_since: Time | None = None
    return_since: Time | None = None
    violation: EpisodeState | None = None
    interval_end: Time | None = None
    seen_first: bool = False
    last_period: tuple[Time, Time] | None = None


class EpisodeTrackerState(_Part):
    """Any other rule's zone: the episode under way, if any."""

    kind: Literal["episode"] = "episode"
    episode: EpisodeState | None = None


ZoneKey = Annotated[str, StringConstraints(min_length=3, max_length=130)]  # "<zone id>|<rule type>"
TrackerState = Annotated[EmptyPostTrackerState | EpisodeTrackerState, Field(discriminator="kind")]


class RuleCheckpoint(_Part):
    """A camera's rule state when it was last worth saving (an episode started, opened or ended)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, title="Rule-state checkpoint")

    schema_: Literal["hallwatch.rule-state.v1"] = Field(RULE_STATE_SCHEMA, alias="schema")
    version: Literal[1] = VERSION
    camera_id: Id
    last_time: Time | None = None
    zones: Annotated[dict[ZoneKey, TrackerState], Field(max_length=1000)] = Field(default_factory=dict)
