"""The overlay data of a clip (``streams.evidence.overlay``), built from the violation, the camera's
zones and the people of the buffered frames. Titles and zone labels are in Chinese: the console
and the annotated export show them as they are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from configs.labels import ZONE_KINDS, reason_label, type_label
from configs.model import Camera
from domain.events import Violation
from domain.overlay import EvidenceOverlay
from ingest.evidence.track_ring import TrackFrame
from streams.evidence.draw import ZONE_COLOURS, hex_colour
from streams.wire import decode, encode


@dataclass(frozen=True)
class Titles:
    hall: str
    camera: str
    window: str | None = None
    window_names: dict[str, str] | None = None  # window id -> name, for zone labels


def stamp(when: datetime) -> str:
    """A frame's time as burned into evidence: milliseconds and the hall's UTC offset."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + when.strftime(" %z")


def overlay_data(
    camera: Camera,
    violation: Violation,
    titles: Titles,
    frames: Sequence[TrackFrame],
    clip_start: datetime,
    size: tuple[int, int],
    clip: str,
) -> dict[str, Any]:
    """``frames`` at or after ``clip_start``: their ``t`` is seconds into the clip."""
    zones = []
    for zone in camera.zones:
        window = (titles.window_names or {}).get(zone.window or "", zone.window)
        label = " · ".join(t for t in (ZONE_KINDS.get(zone.kind.value, zone.kind.value), window) if t)
        zones.append(
            {
                "id": zone.id,
                "kind": zone.kind.value,
                "label": label,
                "colour": hex_colour(ZONE_COLOURS[zone.kind]),
                "polygon": [[round(float(x), 1), round(float(y), 1)] for x, y in zone.polygon],
                "violation": zone.id == violation.zone_id,
            }
        )
    document = {
        "clip": clip,
        "clip_start": clip_start.isoformat(),
        "size": [int(size[0]), int(size[1])],
        "title": " · ".join(t for t in (titles.hall, titles.camera, titles.window) if t),
        "subtitle": f"{type_label(violation.type)} · {reason_label(violation.reason)} · 峰值人数 {violation.people}",
        "involved": sorted(int(i) for i in violation.track_ids),
        "pairs": [
            {"track_ids": [int(a) for a in p.track_ids], "distance_m": round(float(p.distance_m), 3)}
            for p in violation.pairs
        ],
        "zones": zones,
        "frames": [
            {
                "t": round((f.time - clip_start).total_seconds(), 3),
                "at": stamp(f.time),
                "people": [[int(tid), *(round(float(v), 1) for v in box)] for tid, box, _floor in f.people],
            }
            for f in frames
            if f.time >= clip_start
        ],
    }
    # The typed document, checked against its own definition: what is signed is the contract's.
    return encode(decode(EvidenceOverlay, document))
