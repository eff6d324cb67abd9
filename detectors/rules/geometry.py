"""Vectorised zone membership and floor-distance grouping for the rules (no OpenCV, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ZoneSet:
    """Several polygons tested at once: one even-odd ray cast over all their edges per frame."""

    def __init__(self, polygons: Sequence[Sequence[Sequence[float]]]):
        x1, y1, x2, y2, starts = [], [], [], [], []
        for polygon in polygons:
            poly = np.asarray(polygon, dtype=float)
            starts.append(len(x1))
            x1.extend(poly[:, 0])
            y1.extend(poly[:, 1])
            x2.extend(np.roll(poly[:, 0], -1))
            y2.extend(np.roll(poly[:, 1], -1))
        self.x1, self.y1 = np.array(x1), np.array(y1)
        self.y2 = np.array(y2)
        dy = self.y2 - self.y1
        with np.errstate(divide="ignore", invalid="ignore"):
            self.slope = np.where(dy != 0, (np.array(x2) - self.x1) / np.where(dy != 0, dy, 1), 0.0)
        self.starts = np.array(starts, dtype=int)
        self.count = len(starts)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Boolean matrix [point, polygon]."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(pts) == 0 or self.count == 0:
            return np.zeros((len(pts), self.count), dtype=bool)
        x, y = pts[:, :1], pts[:, 1:]
        crosses = (self.y1 > y) != (self.y2 > y)
        hit = crosses & (x < self.x1 + (y - self.y1) * self.slope)
        return (np.add.reduceat(hit.astype(np.int16), self.starts, axis=1) % 2) == 1


def pairwise_distances(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    dx = pts[:, 0:1] - pts[:, 0]
    dy = pts[:, 1:2] - pts[:, 1]
    return np.sqrt(dx * dx + dy * dy)


def component_labels(linked: np.ndarray) -> np.ndarray:
    """Connected components of a symmetric boolean adjacency matrix, by transitive closure
    (repeated squaring: log2(N) small matrix products instead of a Python graph walk).
    Each point's label is the smallest index in its component."""
    n = len(linked)
    reach = (linked | np.eye(n, dtype=bool)).astype(np.float32)
    while True:
        nxt = (reach @ reach > 0).astype(np.float32)
        if np.array_equal(nxt, reach):
            break
        reach = nxt
    return reach.argmax(axis=1)


def single_linkage_groups(distances: np.ndarray, radius: float, min_size: int = 1) -> list[np.ndarray]:
    """Groups of at least ``min_size`` linked by chains of distances <= ``radius``, from a
    pairwise distance matrix (member indices)."""
    if len(distances) < min_size or len(distances) == 0:
        return []
    labels = component_labels(distances <= radius)
    sizes = np.bincount(labels)
    return [np.flatnonzero(labels == label) for label in np.flatnonzero(sizes >= min_size)]


def closest_pair(distances: np.ndarray) -> tuple[float, tuple[int, int]] | None:
    """The smallest off-diagonal distance of a pairwise distance matrix, and which two."""
    if len(distances) < 2:
        return None
    d = distances + np.diag(np.full(len(distances), np.inf))
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return float(d[i, j]), (int(min(i, j)), int(max(i, j)))


def close_pairs(distances: np.ndarray, below: float, limit: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i < j) of a pairwise distance matrix closer than ``below``, closest first, at
    most ``limit`` of them (a message stays small in a packed queue): arrays i, j, distance."""
    i, j = np.nonzero(np.triu(distances < below, 1))
    d = distances[i, j]
    order = np.argsort(d, kind="stable")[:limit]
    return i[order], j[order], d[order]
