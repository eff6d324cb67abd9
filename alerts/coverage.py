"""Three-level coverage of electronic supervision (市、县、乡三级全覆盖), computed from heartbeats.

A hall is covered when it has at least one camera and every one of its cameras sent a heartbeat
with status ``online`` within ``stale_after_s``. A window is covered when a post zone of it is on
such a camera. Coverage of a level inside a region's subtree = covered halls at that level /
halls at that level (the same for windows). Pure: the registry, the last heartbeats and ``now``
in, numbers out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from configs.model import HallwatchConfig, Level, ZoneKind


@dataclass(frozen=True)
class CameraSeen:
    status: str
    received_at: datetime


@dataclass
class LevelCoverage:
    halls: int = 0
    halls_covered: int = 0
    windows: int = 0
    windows_covered: int = 0

    @property
    def ratio(self) -> float:
        """NaN where there is no hall at that level (neither covered nor uncovered)."""
        return self.halls_covered / self.halls if self.halls else float("nan")

    @property
    def window_ratio(self) -> float:
        return self.windows_covered / self.windows if self.windows else float("nan")


@dataclass
class Coverage:
    # (region_id, level) -> numbers for halls at ``level`` in the subtree of ``region_id``
    by_region_level: dict[tuple[str, str], LevelCoverage] = field(default_factory=dict)
    camera_up: dict[str, bool] = field(default_factory=dict)
    uncovered: list[dict] = field(default_factory=list)  # halls with why


def compute(cfg: HallwatchConfig, seen: dict[str, CameraSeen], now: datetime, stale_after_s: float = 120) -> Coverage:
    cov = Coverage()
    for level in Level:  # every level is reported for the whole registry, even without halls
        cov.by_region_level[("*", level.value)] = LevelCoverage()
    cameras_of: dict[str, list] = {h.id: [] for h in cfg.halls}
    for camera in cfg.cameras:
        cameras_of.setdefault(camera.hall, []).append(camera)
        s = seen.get(camera.id)
        cov.camera_up[camera.id] = (
            s is not None and s.status == "online" and (now - s.received_at).total_seconds() <= stale_after_s
        )
    ancestors = {r.id: cfg.region_path(r.id) for r in cfg.regions}
    for hall in cfg.halls:
        level = cfg.region(hall.region).level.value
        cams = cameras_of.get(hall.id, [])
        covered = bool(cams) and all(cov.camera_up[c.id] for c in cams)
        windows_covered = {
            z.window for c in cams if cov.camera_up[c.id] for z in c.zones if z.kind is ZoneKind.post and z.window
        }
        n_windows = len(hall.windows)
        n_windows_covered = len(windows_covered & {w.id for w in hall.windows})
        for region_id in [*ancestors[hall.region], "*"]:
            entry = cov.by_region_level.setdefault((region_id, level), LevelCoverage())
            entry.halls += 1
            entry.halls_covered += covered
            entry.windows += n_windows
            entry.windows_covered += n_windows_covered
        if not covered:
            stale = [c.id for c in cams if not cov.camera_up[c.id]]
            cov.uncovered.append(
                {
                    "hall_id": hall.id,
                    "hall_name": hall.name,
                    "region_id": hall.region,
                    "level": level,
                    "region_path": ancestors[hall.region],
                    "reason": "no camera" if not cams else "camera not online",
                    "stale_cameras": stale,
                }
            )
    return cov


def coverage_view(
    cfg: HallwatchConfig, cov: Coverage, region_id: str, region_prefix: str, sees_hall: Callable[[str], bool]
) -> dict:
    """The coverage a user of ``region_id`` may see: their subtree's regions, and the whole
    registry's totals only for users at the top of the tree."""

    def ratio(value: float) -> float | None:
        return None if value != value else round(value, 4)  # NaN: no hall at that level

    paths = {r.id: "/" + "/".join(cfg.region_path(r.id)) + "/" for r in cfg.regions}
    top_user = cfg.region(region_id).parent is None
    levels: dict[str, dict] = {}
    for (region, level), c in cov.by_region_level.items():
        if region == "*" and not top_user:
            continue
        if region != "*" and not paths[region].startswith(region_prefix):
            continue
        levels.setdefault("all" if region == "*" else region, {})[level] = {
            "halls": c.halls,
            "halls_covered": c.halls_covered,
            "ratio": ratio(c.ratio),
            "windows": c.windows,
            "windows_covered": c.windows_covered,
            "window_ratio": ratio(c.window_ratio),
        }
    camera_halls = {c.id: c.hall for c in cfg.cameras}
    return {
        "by_region": levels,
        "uncovered": [h for h in cov.uncovered if sees_hall(h["hall_id"])],
        "camera_up": {c: up for c, up in cov.camera_up.items() if sees_hall(camera_halls[c])},
    }
