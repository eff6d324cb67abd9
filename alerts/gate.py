"""What a message may claim: only ids the config has, each where the config puts it. Hall, region,
path and level come from the config, never from the message; a camera names only its own zones and
their windows. Every check returns the reason a message is refused (for the DLQ), or None."""

from __future__ import annotations

import dataclasses
from typing import cast

from configs.model import HallwatchConfig
from domain.events import Absence, Heartbeat, ServiceMinute, Violation
from domain.events import Level as LevelName
from domain.service_events import ServiceEvent


class ConfigGate:
    def __init__(self, cfg: HallwatchConfig):
        self._regions = {r.id: r for r in cfg.regions}
        self._halls = {h.id: h for h in cfg.halls}
        self._windows = {h.id: {w.id for w in h.windows} for h in cfg.halls}
        self._cameras = {c.id: c for c in cfg.cameras}
        # camera -> zone id -> (kind, window): what a message of that camera may name
        self._zones = {c.id: {z.id: (z.kind.value, z.window) for z in c.zones} for c in cfg.cameras}
        self._hall_posts: dict[str, set[str]] = {h.id: set() for h in cfg.halls}
        for c in cfg.cameras:
            self._hall_posts[c.hall] |= {z.id for z in c.zones if z.kind.value == "post"}
        self._paths = {r.id: tuple(cfg.region_path(r.id)) for r in cfg.regions}

    def heartbeat_problem(self, beat: Heartbeat) -> str | None:
        camera = self._cameras.get(beat.camera_id)
        if camera is None or camera.hall != beat.hall_id:
            return f"unknown camera {beat.camera_id!r} of hall {beat.hall_id!r}"
        return None

    def minute_problem(self, minute: ServiceMinute) -> str | None:
        """A minute only of the camera's own windows and zones (ids the config has)."""
        camera = self._cameras.get(minute.camera_id)
        if camera is None or camera.hall != minute.hall_id:
            return f"unknown camera {minute.camera_id!r} of hall {minute.hall_id!r}"
        zones = self._zones[camera.id]
        posts = {window for kind, window in zones.values() if kind == "post"}
        unknown = sorted({p.window_id for p in minute.posts} - posts)
        if unknown:
            return f"service minute: windows {unknown} have no post on camera {camera.id!r}"
        for area in minute.areas:
            if zones.get(area.zone_id, ("", None)) != (area.kind, area.window_id):
                return f"service minute: {area.kind} {area.zone_id!r} is not a zone of camera {camera.id!r}"
        for wait in minute.waits:
            if wait.window_id not in self._windows[camera.hall] or wait.zone_id not in zones:
                return f"service minute: a wait at {wait.window_id!r}/{wait.zone_id!r} is not of camera {camera.id!r}"
        return None

    def absence_problem(self, absence: Absence) -> str | None:
        windows = self._windows.get(absence.hall_id)
        if windows is None:
            return f"absence for an unknown hall {absence.hall_id!r}"
        if absence.window_id is not None and absence.window_id not in windows:
            return f"absence for an unknown window {absence.window_id!r} of hall {absence.hall_id!r}"
        if absence.zone_id is not None and absence.zone_id not in self._hall_posts[absence.hall_id]:
            return f"absence for {absence.zone_id!r}, not a post zone of hall {absence.hall_id!r}"
        return None

    def service_event_problem(self, event: ServiceEvent) -> tuple[str, str] | None:
        """(field, why) when ``event`` names a hall or window the config lacks."""
        windows = self._windows.get(event.hall)
        if windows is None:
            return "hall", f"unknown hall {event.hall!r}"
        if event.window is not None and event.window not in windows:
            return "window", f"hall {event.hall!r} has no window {event.window!r}"
        return None

    def trusted(self, v: Violation) -> Violation | str:
        hall = self._halls.get(v.hall_id)
        if hall is None:
            return f"unknown hall {v.hall_id!r}"
        camera = self._cameras.get(v.camera_id)
        if camera is None or camera.hall != hall.id:
            return f"camera {v.camera_id!r} is not a camera of hall {hall.id!r}"
        zone = self._zones[camera.id].get(v.zone_id)
        if zone is None:
            return f"zone {v.zone_id!r} is not a zone of camera {camera.id!r}"
        if v.window_id != zone[1]:
            return f"window {v.window_id!r} is not the window of zone {v.zone_id!r}"
        region = self._regions[hall.region]
        path, level = self._paths[region.id], region.level.value
        if v.region_id == region.id and v.region_path == path and v.level == level:
            return v  # what the config says already (the usual case)
        return dataclasses.replace(v, region_id=region.id, region_path=path, level=cast(LevelName, level))
