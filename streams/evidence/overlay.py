"""The overlay as data: what the rule saw and decided, frame by frame, beside the raw clip.

``<kind>_overlay.json`` (schema ``hallwatch.evidence-overlay.v1``) holds the zones (polygon, Chinese
label, colour, whether it is the violation's zone), the people of every analysed frame (track id
and box, in the source's pixels), the violation's people and its decisive pairs with their
distances, the titles, and each frame's time. The console draws it on a canvas over the playing
video; the alerting service burns it into an annotated MP4 only when a case is exported
(``render`` below). The manifest signs it like the clip. Nothing here is recomputed: it shows what
the rule decided, with the rule's own thresholds."""

from __future__ import annotations

import bisect
from typing import Any

import cv2
import numpy as np

from streams.evidence.draw import put_texts

RED, GREEN, WHITE, AMBER = (0, 0, 255), (0, 255, 0), (255, 255, 255), (0, 215, 255)
INVOLVED, OTHERS = "#ff0000", "#00ff00"  # the console's canvas uses the same


def _bgr(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def frame_at(overlay: dict[str, Any], t_s: float) -> dict[str, Any] | None:
    """The analysed frame shown at ``t_s`` seconds into the clip: the latest at or before it (half
    a frame's tolerance), None before the first."""
    frames = overlay.get("frames") or []
    times = [f["t"] for f in frames]
    i = bisect.bisect_right(times, t_s + 1e-3) - 1
    return frames[i] if i >= 0 else None


def render(image: np.ndarray, overlay: dict[str, Any], frame: dict[str, Any] | None) -> np.ndarray:
    """The annotated copy of one frame (a new image): zones, boxes (red: the violation's people)
    with track ids, the decisive pairs with their distances, titles and the frame's time."""
    out = image.copy()
    sx = out.shape[1] / max(1, overlay["size"][0])
    sy = out.shape[0] / max(1, overlay["size"][1])
    scale = lambda pts: (np.asarray(pts, float) * [sx, sy]).astype(np.int32)  # noqa: E731
    shade = out.copy()
    labels = []
    for zone in overlay.get("zones", []):
        pts = scale(zone["polygon"])
        colour = _bgr(zone["colour"])
        cv2.fillPoly(shade, [pts], colour)
        labels.append((zone["label"], (int(pts[:, 0].min()) + 3, int(pts[:, 1].min()) + 3), colour))
    cv2.addWeighted(shade, 0.18, out, 0.82, 0, dst=out)
    for zone in overlay.get("zones", []):
        violated = zone.get("violation", False)
        cv2.polylines(
            out,
            [scale(zone["polygon"])],
            True,
            RED if violated else _bgr(zone["colour"]),
            4 if violated else 2,
            cv2.LINE_AA,
        )
    involved = set(overlay.get("involved", []))
    feet: dict[int, np.ndarray] = {}
    for track_id, *box in (frame or {}).get("people", []):
        (x1, y1), (x2, y2) = scale([box[:2], box[2:]])
        feet[track_id] = np.array([(x1 + x2) // 2, y2])
        colour = RED if track_id in involved else GREEN
        cv2.rectangle(out, (int(x1), int(y1)), (int(x2), int(y2)), colour, 2)
        labels.append((f"#{track_id}", (int(x1), max(0, int(y1) - 20)), colour))
    for pair in overlay.get("pairs", []):
        a, b = pair["track_ids"]
        if a in feet and b in feet:
            cv2.line(out, tuple(feet[a].tolist()), tuple(feet[b].tolist()), RED, 3, cv2.LINE_AA)
            mid = ((feet[a] + feet[b]) // 2).tolist()
            labels.append((f"{pair['distance_m']:.2f} m", (mid[0], mid[1] - 22), RED))
    labels += [(overlay.get("title", ""), (10, 8), WHITE), (overlay.get("subtitle", ""), (10, 36), AMBER)]
    if frame is not None:
        labels.append((frame["at"], (10, out.shape[0] - 30), WHITE))
    return put_texts(out, [label for label in labels if label[0]], size=18)
