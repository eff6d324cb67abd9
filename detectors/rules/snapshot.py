"""A camera's rule state as a typed message (``domain.checkpoint.RuleCheckpoint``), so that a camera
can move to another pipeline worker with its open episodes: an empty post since 09:12, a gathering in
progress, the violations already announced (their event ids follow from camera, zone, type and
start, so the new owner continues them and closes each exactly once). Pure: trackers in, models out,
and back."""

from __future__ import annotations

from detectors.rules.empty_post import EmptyPostState
from detectors.rules.episodes import Episode, EpisodeTracker
from domain.checkpoint import EmptyPostTrackerState, EpisodeDetails, EpisodeState, EpisodeTrackerState


def _episode_out(ep: Episode | None) -> EpisodeState | None:
    if ep is None:
        return None
    # Only the keys the rule set: a restored episode has exactly the details it had.
    return EpisodeState(
        started_at=ep.started_at, last_at=ep.last_at, open=ep.open, details=EpisodeDetails.model_validate(ep.details)
    )


def _episode_in(state: EpisodeState | None) -> Episode | None:
    if state is None:
        return None
    details = state.details.model_dump(by_alias=True, exclude_unset=True)
    if "detection" in details and details["detection"] is not None:
        details["detection"] = tuple(details["detection"])
    if details.get("pairs") is not None:
        details["pairs"] = [(tuple(ids), d) for ids, d in details["pairs"]]
    return Episode(state.started_at, state.last_at, state.open, details)


def tracker_out(tracker: EmptyPostState | EpisodeTracker) -> EmptyPostTrackerState | EpisodeTrackerState:
    if isinstance(tracker, EmptyPostState):
        return EmptyPostTrackerState(
            kind="empty_post",
            empty_since=tracker.empty_since,
            return_since=tracker.return_since,
            violation=_episode_out(tracker.violation),
            interval_end=tracker.interval_end,
            seen_first=tracker.seen_first,
            last_period=tracker.last_period,
        )
    return EpisodeTrackerState(kind="episode", episode=_episode_out(tracker.episode))


def tracker_in(tracker: EmptyPostState | EpisodeTracker, state: EmptyPostTrackerState | EpisodeTrackerState) -> None:
    """Restore ``state`` into a freshly built tracker of the same zone (its rule comes from the config)."""
    if isinstance(tracker, EmptyPostState) and isinstance(state, EmptyPostTrackerState):
        tracker.empty_since = state.empty_since
        tracker.return_since = state.return_since
        tracker.violation = _episode_in(state.violation)
        tracker.interval_end = state.interval_end
        tracker.seen_first = state.seen_first
        tracker.last_period = state.last_period
    elif isinstance(tracker, EpisodeTracker) and isinstance(state, EpisodeTrackerState):
        tracker.episode = _episode_in(state.episode)


def structure(tracker: EmptyPostState | EpisodeTracker) -> tuple:
    """What a checkpoint must not miss: episodes starting, opening and ending (not every frame's
    ``last_at``)."""
    if isinstance(tracker, EmptyPostState):
        v = tracker.violation
        return tracker.empty_since, v.started_at if v else None, tracker.return_since is not None
    ep = tracker.episode
    return (ep.started_at, ep.open) if ep else None
