"""Drawing on evidence frames, shared by the pipeline (snapshots) and the alerting service (the
annotated export): text in Chinese (OpenCV's putText has no CJK glyphs, so text goes through
Pillow with a Noto CJK font) and zone outlines with their labels."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from configs.labels import ZONE_KINDS
from configs.model import Zone, ZoneKind

ZONE_COLOURS = {  # BGR
    ZoneKind.post: (0, 200, 255),
    ZoneKind.staff_area: (255, 160, 0),
    ZoneKind.service_area: (0, 0, 255),
    ZoneKind.queue_area: (0, 220, 0),
}
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@functools.cache
def cjk_font_path() -> str | None:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if found and Path(found).exists() and "cjk" in found.lower() else None


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default()


@functools.lru_cache(maxsize=4096)
def _label(text: str, bgr: tuple[int, int, int], size: int, background: bool) -> tuple[np.ndarray, np.ndarray]:
    """A rendered label as a BGR patch and its alpha (0..1), cached: clips repeat their labels."""
    font = _font(size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    w, h = right - left + 4, bottom - top + 4
    patch = Image.new("RGBA", (w, h), (0, 0, 0, 255 if background else 0))
    b, g, r = bgr
    ImageDraw.Draw(patch).text((2 - left, 2 - top), text, font=font, fill=(r, g, b, 255))
    rgba = np.asarray(patch)
    return np.ascontiguousarray(rgba[:, :, 2::-1]), rgba[:, :, 3:4].astype(np.float32) / 255.0


def put_texts(
    image: np.ndarray,
    items: list[tuple[str, tuple[int, int], tuple[int, int, int]]],
    size: int = 18,
    background: bool = True,
) -> np.ndarray:
    """Draw several (text, (x, y), BGR colour) on a BGR image (in place; also returned). Labels
    are rendered once by Pillow with a CJK font and blended in with NumPy."""
    height, width = image.shape[:2]
    for text, (x, y), colour in items:
        patch, alpha = _label(text, tuple(int(c) for c in colour), size, background)
        ph, pw = patch.shape[:2]
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(width, int(x) + pw), min(height, int(y) + ph)
        if x1 <= x0 or y1 <= y0:
            continue
        px, py = x0 - int(x), y0 - int(y)
        region = image[y0:y1, x0:x1]
        a = alpha[py : py + (y1 - y0), px : px + (x1 - x0)]
        p = patch[py : py + (y1 - y0), px : px + (x1 - x0)]
        region[:] = (p * a + region * (1.0 - a)).astype(np.uint8)
    return image


def draw_zones(
    image: np.ndarray, zones: list[Zone], window_names: dict[str, str] | None = None
) -> list[tuple[str, tuple[int, int], tuple[int, int, int]]]:
    """Zone outlines with a light fill; returns their labels for ``put_texts``: the zone's kind in
    Chinese and its window's name (e.g. 岗位 · 1号综合窗口), not ids."""
    overlay = image.copy()
    labels = []
    for zone in zones:
        pts = np.asarray(zone.polygon, dtype=np.int32)
        colour = ZONE_COLOURS[zone.kind]
        cv2.fillPoly(overlay, [pts], colour)
        cv2.polylines(image, [pts], True, colour, 2, cv2.LINE_AA)
        window = (window_names or {}).get(zone.window or "", zone.window)
        text = " · ".join(t for t in (ZONE_KINDS.get(zone.kind.value, zone.kind.value), window) if t)
        labels.append((text, (int(pts[:, 0].min()) + 3, int(pts[:, 1].min()) + 3), colour))
    cv2.addWeighted(overlay, 0.18, image, 0.82, 0, dst=image)
    return labels


def hex_colour(bgr: tuple[int, int, int]) -> str:
    """``#rrggbb`` for a BGR colour (the console draws with the same colours as the renders)."""
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"
