"""A camera's rule state as plain JSON, so that a camera can move to another pipeline worker with
its open episodes: an empty post since 09:12, a gathering in progress, the violations already
announced (their event ids follow from camera, zone, type and start, so the new owner continues
them and closes each exactly once). Pure: dicts in, dicts out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from detectors.rules.empty_post import EmptyPostState
from detectors.rules.episodes import Episode, EpisodeTracker

VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _details_out(details: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in details.items():
        if isinstance(value, datetime):
            out[key] = {"$time": value.isoformat()}
        elif key == "pairs":
            out[key] = [[list(ids), d] for ids, d in value]
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out


def _details_in(details: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in details.items():
        if isinstance(value, dict) and "$time" in value:
            out[key] = datetime.fromisoformat(value["$time"])
        elif key == "pairs":
            out[key] = [(tuple(ids), d) for ids, d in value]
        elif key == "detection":
            out[key] = tuple(value)
        else:
            out[key] = value
    return out


def _episode_out(ep: Episode | None) -> dict | None:
    if ep is None:
        return None
    return {
        "started_at": ep.started_at.isoformat(),
        "last_at": ep.last_at.isoformat(),
        "open": ep.open,
        "details": _details_out(ep.details),
    }


def _episode_in(data: dict | None) -> Episode | None:
    if data is None:
        return None
    return Episode(
        datetime.fromisoformat(data["started_at"]),
        datetime.fromisoformat(data["last_at"]),
        data["open"],
        _details_in(data["details"]),
    )


def tracker_out(tracker: EmptyPostState | EpisodeTracker) -> dict:
    if isinstance(tracker, EmptyPostState):
        return {
            "kind": "empty_post",
            "empty_since": _time(tracker.empty_since),
            "return_since": _time(tracker.return_since),
            "violation": _episode_out(tracker.violation),
            "interval_end": _time(tracker.interval_end),
            "seen_first": tracker.seen_first,
            "last_period": [t.isoformat() for t in tracker.last_period] if tracker.last_period else None,
        }
    return {"kind": "episode", "episode": _episode_out(tracker.episode)}


def tracker_in(tracker: EmptyPostState | EpisodeTracker, data: dict) -> None:
    """Restore ``data`` into a freshly built tracker of the same zone (its rule comes from the config)."""
    if isinstance(tracker, EmptyPostState):
        tracker.empty_since = _parse(data["empty_since"])
        tracker.return_since = _parse(data["return_since"])
        tracker.violation = _episode_in(data["violation"])
        tracker.interval_end = _parse(data["interval_end"])
        tracker.seen_first = data["seen_first"]
        period = data.get("last_period")
        tracker.last_period = (datetime.fromisoformat(period[0]), datetime.fromisoformat(period[1])) if period else None
    else:
        tracker.episode = _episode_in(data["episode"])


def structure(tracker: EmptyPostState | EpisodeTracker) -> tuple:
    """What a checkpoint must not miss: episodes starting, opening and ending (not every frame's
    ``last_at``)."""
    if isinstance(tracker, EmptyPostState):
        v = tracker.violation
        return tracker.empty_since, v.started_at if v else None, tracker.return_since is not None
    ep = tracker.episode
    return (ep.started_at, ep.open) if ep else None
