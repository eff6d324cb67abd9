"""What a person looks like, to tell people apart where their boxes alone cannot.

A box's motion says little when people cross, stand close, or are analysed a few times a second:
the tracker's overlap cost is nearly the same for two people and identities swap. Each person's
look is two colour histograms of the middle half of the box's width — the upper body (15-50 % of
its height) and the lower body (50-90 %) — in hue x saturation x value (8 x 3 x 3 bins); two looks
are compared by their Bhattacharyya distance (0 the same colours, 1 none in common), averaged over
the two parts. Cheap (a few hundredths of a millisecond a person), no network, no training; a
colour cue, so two people dressed alike are told apart by motion alone, as before.
"""

from __future__ import annotations

import cv2
import numpy as np

BINS = (8, 3, 3)
RANGES = [0, 180, 0, 256, 0, 256]
PARTS = ((0.15, 0.5), (0.5, 0.9))  # upper and lower body, as shares of the box's height
MIDDLE = 0.25  # each side's share of the width left out (arms, background, the neighbour's edge)
MIN_PIXELS = 16  # a part smaller than this says nothing


def describe(image: np.ndarray, xyxy: np.ndarray) -> list[np.ndarray | None]:
    """One look per box (parts x bins, each part summing to 1), None where a part of the box has
    too few pixels in the frame to tell."""
    height, width = image.shape[:2]
    looks: list[np.ndarray | None] = []
    for x1, y1, x2, y2 in np.asarray(xyxy, dtype=float).reshape(-1, 4):
        if not np.isfinite([x1, y1, x2, y2]).all():
            looks.append(None)
            continue
        w, h = x2 - x1, y2 - y1
        left, right = int(max(0, x1 + MIDDLE * w)), int(min(width, x2 - MIDDLE * w))
        parts = []
        for top, bottom in PARTS:
            y0, y1_ = int(max(0, y1 + top * h)), int(min(height, y1 + bottom * h))
            if right <= left or y1_ <= y0 or (right - left) * (y1_ - y0) < MIN_PIXELS:
                break
            hsv = cv2.cvtColor(image[y0:y1_, left:right], cv2.COLOR_BGR2HSV)
            histogram = cv2.calcHist([hsv], [0, 1, 2], None, list(BINS), RANGES).ravel()
            parts.append(histogram / max(1e-9, float(histogram.sum())))
        looks.append(np.stack(parts) if len(parts) == len(PARTS) else None)
    return looks


def distances(a: list[np.ndarray | None], b: list[np.ndarray | None]) -> np.ndarray:
    """Bhattacharyya distance of every look in ``a`` to every look in ``b``, averaged over the
    parts; NaN where either is unknown."""
    out = np.full((len(a), len(b)), np.nan)
    rows = [i for i, x in enumerate(a) if x is not None]
    cols = [j for j, y in enumerate(b) if y is not None]
    if rows and cols:
        x = np.sqrt(np.stack([a[i] for i in rows]))  # type: ignore[misc]
        y = np.sqrt(np.stack([b[j] for j in cols]))  # type: ignore[misc]
        overlap = np.einsum("ipk,jpk->ijp", x, y).mean(axis=2)  # Bhattacharyya coefficient, parts averaged
        out[np.ix_(rows, cols)] = 1.0 - overlap
    return np.clip(out, 0.0, 1.0)


def blend(overlap_cost: np.ndarray, appearance: np.ndarray, weight: float) -> np.ndarray:
    """The tracker's overlap cost (1 - IoU) with the looks' distance weighed in. Only where the
    boxes overlap at all (cost < 1) and both looks are known: a look never joins boxes that motion
    keeps apart, it decides between the ones motion cannot tell apart."""
    mixed = (1.0 - weight) * overlap_cost + weight * appearance
    return np.where(np.isnan(appearance) | (overlap_cost >= 1.0), overlap_cost, mixed).astype(overlap_cost.dtype)
