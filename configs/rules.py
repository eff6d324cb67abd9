"""The rules' parameters (空岗、聚众聊天、一米线、群众等候): the `rules:` defaults of a config
and the overrides a zone may give, merged by ``effective_rules``. Every duration and distance is
bounded (a day, an hour, 100 m), so no setting can overflow where it is used."""

from __future__ import annotations

from pydantic import Field

from domain.base import StrictModel


class EmptyPostRule(StrictModel):
    """空岗/离岗: nobody at a window's post for too long during service hours."""

    enabled: bool = Field(True, description="Evaluate this rule.")
    after_s: float = Field(300, gt=0, le=86_400, description="Seconds a post must stay empty before it is a violation.")
    return_s: float = Field(
        5, ge=0, le=3600, description="Seconds a person must stay at the post for the empty episode to end."
    )
    late_after_s: float = Field(
        60,
        gt=0,
        le=86_400,
        description="迟到: a post still unoccupied this many seconds after a service period starts "
        "(the morning's, and again after the lunch break) is a late arrival, reported from the period start. "
        "Needs a schedule: halls without one have no period boundaries.",
    )
    early_before_s: float = Field(
        60,
        ge=0,
        le=86_400,
        description="早退: an unoccupied episode still running when a service period ends is an early "
        "leave if it began at least this many seconds before the end.",
    )


class StaffChattingRule(StrictModel):
    """聚众聊天/串岗: staff gathering away from their own posts."""

    enabled: bool = Field(True, description="Evaluate this rule.")
    min_people: int = Field(2, ge=2, le=1000, description="People in one group for it to count.")
    radius_m: float = Field(1.5, gt=0, le=100, description="Floor distance (m) that links two people into a group.")
    min_duration_s: float = Field(60, ge=0, le=86_400, description="Seconds a group must persist to be a violation.")
    clear_s: float = Field(5, ge=0, le=3600, description="Gaps shorter than this do not end a group episode.")
    always: bool = Field(False, description="Evaluate outside service hours too.")


class QueueCrowdingRule(StrictModel):
    """一米线: people too close in the queue, or too many past the line in front of a window."""

    enabled: bool = Field(True, description="Evaluate this rule.")
    min_distance_m: float = Field(1.0, gt=0, le=100, description="Two people in a queue closer than this crowd.")
    max_in_service_area: int = Field(1, ge=0, le=10_000, description="People allowed past the one-metre line.")
    max_in_queue: int | None = Field(None, ge=0, le=10_000, description="Queue capacity; null = unlimited.")
    min_duration_s: float = Field(5, ge=0, le=86_400, description="Seconds the condition must hold to be a violation.")
    clear_s: float = Field(3, ge=0, le=3600, description="Gaps shorter than this do not end an episode.")
    always: bool = Field(False, description="Evaluate outside service hours too.")


class CitizenWaitingRule(StrictModel):
    """群众等候无人接待: a citizen stands at a window whose post is unoccupied."""

    enabled: bool = Field(
        True, description="Evaluate this rule (for windows whose post and service area one camera sees)."
    )
    wait_s: float = Field(
        30, gt=0, le=86_400, description="Seconds a citizen must stand at an unstaffed window to be a violation."
    )
    clear_s: float = Field(5, ge=0, le=3600, description="Gaps shorter than this do not end an episode.")


class Rules(StrictModel):
    empty_post: EmptyPostRule = Field(default_factory=EmptyPostRule, description="Empty post rule.")
    staff_chatting: StaffChattingRule = Field(default_factory=StaffChattingRule, description="Staff chatting rule.")
    queue_crowding: QueueCrowdingRule = Field(
        default_factory=QueueCrowdingRule, description="Queue crowding (one-metre line) rule."
    )
    citizen_waiting: CitizenWaitingRule = Field(
        default_factory=CitizenWaitingRule, description="Citizens left waiting at an unstaffed window."
    )


def effective_rules(defaults: Rules, zone_overrides: RuleOverrides | None) -> Rules:
    """The global rule defaults with one zone's overrides applied."""
    if zone_overrides is None:
        return defaults
    merged = {
        name: {**getattr(defaults, name).model_dump(), **(getattr(zone_overrides, name) or {})}
        for name in Rules.model_fields
    }
    return Rules.model_validate(merged)


class RuleOverrides(StrictModel):
    """Per-zone overrides: only the keys given replace the global `rules:` defaults."""

    empty_post: dict | None = Field(None, description="Keys of `rules.empty_post` to override.")
    staff_chatting: dict | None = Field(None, description="Keys of `rules.staff_chatting` to override.")
    queue_crowding: dict | None = Field(None, description="Keys of `rules.queue_crowding` to override.")
    citizen_waiting: dict | None = Field(None, description="Keys of `rules.citizen_waiting` to override.")
