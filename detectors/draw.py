"""Drawing for the installer's calibration preview: a metric floor grid and people with their floor
positions (text and zones: ``streams.evidence.draw``)."""

from __future__ import annotations

import cv2
import numpy as np

from domain.floor import to_floor, to_image


def draw_floor_grid(image: np.ndarray, homography: np.ndarray, step_m: float = 1.0) -> None:
    """A metric grid on the floor, clipped to what the camera sees, to check the calibration by eye."""
    h, w = image.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    floor = to_floor(homography, corners)
    lo = np.floor(floor.min(axis=0) / step_m) * step_m
    hi = np.ceil(floor.max(axis=0) / step_m) * step_m
    span = hi - lo
    if np.any(span / step_m > 400):  # a horizon in view would give an endless grid
        lo, hi = np.maximum(lo, -100), np.minimum(hi, 100)
    for axis in (0, 1):
        for value in np.arange(lo[axis], hi[axis] + step_m / 2, step_m):
            other = np.linspace(lo[1 - axis], hi[1 - axis], 200)
            pts = (
                np.column_stack([np.full_like(other, value), other])
                if axis == 0
                else np.column_stack([other, np.full_like(other, value)])
            )
            img = to_image(homography, pts)
            ok = np.all(np.isfinite(img), axis=1) & (np.abs(img) < 1e5).all(axis=1)
            img = img[ok]
            if len(img) > 1:
                thick = 2 if abs(value) < 1e-9 else 1
                cv2.polylines(
                    image, [img.astype(np.int32).reshape(-1, 1, 2)], False, (255, 255, 255), thick, cv2.LINE_AA
                )


def draw_people(
    image: np.ndarray,
    boxes: np.ndarray,
    ids: list[int],
    floor: np.ndarray | None,
    colour: tuple[int, int, int] = (0, 255, 0),
) -> list[tuple[str, tuple[int, int], tuple[int, int, int]]]:
    labels = []
    for i, box in enumerate(np.asarray(boxes, dtype=float).reshape(-1, 4)):
        x1, y1, x2, y2 = box.astype(int)
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, 2)
        cv2.circle(image, ((x1 + x2) // 2, y2), 4, (0, 0, 255), -1)
        text = f"#{ids[i]}"
        if floor is not None:
            text += f" ({floor[i, 0]:.1f}, {floor[i, 1]:.1f}) m"
        labels.append((text, (x1, max(0, y1 - 20)), colour))
    return labels
