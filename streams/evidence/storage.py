"""Where evidence lives: a local folder tree by date, hall and event. The pipeline writes case
folders here; the alerting service resolves, serves and prunes them."""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path


def _replace(path: Path, data: bytes) -> None:
    """Replace a file atomically: a reader (the console, the installers' tool) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


class LocalEvidenceStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def folder_for(self, event_id: str, hall_id: str, started_at: datetime) -> Path:
        """``<root>/<day the violation started>/<hall>/<event id>/``, created."""
        folder = self.root / started_at.date().isoformat() / hall_id / event_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def live_snapshot(self, camera_id: str) -> Path:
        """``<root>/live/<camera>.jpg``: the camera's latest frame, for the camera wall."""
        return self.root / "live" / f"{camera_id}.jpg"

    def write_live_snapshot(self, camera_id: str, jpeg: bytes) -> None:
        _replace(self.live_snapshot(camera_id), jpeg)

    def live_people(self, camera_id: str) -> Path:
        """``<root>/live/<camera>.json``: who the analysis saw on that frame (boxes in pixels), for
        the installers' tool to show people's floor positions under a calibration being drawn."""
        return self.root / "live" / f"{camera_id}.json"

    def write_live_people(self, camera_id: str, data: bytes) -> None:
        _replace(self.live_people(camera_id), data)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path | None:
        """The file for a stored reference, never outside the root (no path traversal)."""
        candidate = (self.root / relative).resolve()
        root = self.root.resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def free_bytes(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free

    def prune(self, retention_days: float, keep: set[str]) -> list[Path]:
        """Delete event folders older than the retention, except those of alerts under review."""
        cutoff = time.time() - retention_days * 86400
        removed = []
        for folder in self.root.glob("*/*/*"):
            if folder.is_dir() and folder.name not in keep and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed.append(folder)
        return removed
