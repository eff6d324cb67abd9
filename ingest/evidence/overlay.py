"""The annotated evidence copy: zones, boxes with track ids, and what the violation reports (its
people, the pairs that were too close and their distances), a burned-in timestamp and the
hall/camera/window names in Chinese. Nothing is recomputed here: the overlay shows what the rule
decided, with the rule's own (zone-specific) thresholds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

from configs.labels import reason_label, type_label
from configs.model import Camera
from detectors.draw import draw_zones, put_texts
from detectors.rules.events import Violation

RED, GREEN, WHITE, AMBER = (0, 0, 255), (0, 255, 0), (255, 255, 255), (0, 215, 255)


@dataclass(frozen=True)
class Titles:
    hall: str
    camera: str
    window: str | None = None
    window_names: dict[str, str] | None = None  # window id -> name, for zone labels


def annotate(image: np.ndarray, when: datetime, people: tuple, camera: Camera, violation: Violation,
             titles: Titles) -> np.ndarray:
    """``people``: (track_id, xyxy, floor) of the frame, as buffered."""
    out = image.copy()
    labels = draw_zones(out, list(camera.zones), titles.window_names)
    zone = next((z for z in camera.zones if z.id == violation.zone_id), None)
    if zone is not None:
        cv2.polylines(out, [np.asarray(zone.polygon, np.int32)], True, RED, 4, cv2.LINE_AA)
    involved = set(violation.track_ids)
    feet: dict[int, tuple[int, int]] = {}
    for track_id, box, _floor in people:
        x1, y1, x2, y2 = (int(v) for v in box)
        feet[track_id] = ((x1 + x2) // 2, y2)
        colour = RED if track_id in involved else GREEN
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        labels.append((f"#{track_id}", (x1, max(0, y1 - 20)), colour))
    for pair in violation.pairs:
        a, b = pair.track_ids
        if a in feet and b in feet:
            fa, fb = np.array(feet[a]), np.array(feet[b])
            cv2.line(out, tuple(fa.tolist()), tuple(fb.tolist()), RED, 3, cv2.LINE_AA)
            mid = ((fa + fb) // 2).tolist()
            labels.append((f"{pair.distance_m:.2f} m", (mid[0], mid[1] - 22), RED))
    kind = f"{type_label(violation.type)} · {reason_label(violation.reason)}"
    place = " · ".join(t for t in (titles.hall, titles.camera, titles.window) if t)
    labels += [
        (place, (10, 8), WHITE),
        (f"{kind} · 峰值人数 {violation.people}", (10, 36), AMBER),
        (when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + when.strftime(" %z"), (10, out.shape[0] - 30), WHITE),
    ]
    return put_texts(out, labels, size=18)
