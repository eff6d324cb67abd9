"""The annotated copy of a clip, rendered by the alerting service when a case is exported: the raw
clip decoded, its overlay data drawn on every frame (``streams.evidence.overlay.render``),
encoded once. Derived from signed files, so it is not itself in the manifest; the export says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from domain.overlay import EvidenceOverlay
from streams.evidence.overlay import frame_at, render
from streams.evidence.video import encode
from streams.wire import decode


def _frames(cap: cv2.VideoCapture, fps: float, overlay: dict) -> Iterator[np.ndarray]:
    try:
        index = 0
        while True:
            ok, image = cap.read()
            if not ok:
                return
            yield render(image, overlay, frame_at(overlay, index / fps))
            index += 1
    finally:
        cap.release()


def render_annotated(clip: Path, overlay_file: Path, out: Path) -> Path:
    """Raises ValueError for overlay data that is not the contract's (it is rendered, not trusted)."""
    raw = overlay_file.read_bytes()
    decode(EvidenceOverlay, raw)  # BadMessage (a ValueError) when it is not the contract's
    overlay = json.loads(raw)
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    return encode(_frames(cap, fps, overlay), fps, out)
