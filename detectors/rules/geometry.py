"""Vectorised zone membership and floor-distance grouping for the rules (no OpenCV, no I/O)."""
from __future__ import annotations

import numpy as np


def inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd ray casting: which of the Nx2 points lie inside the Mx2 polygon."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros(0, dtype=bool)
    poly = np.asarray(polygon, dtype=float)
    x, y = pts[:, :1], pts[:, 1:]
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    crosses = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return (np.count_nonzero(crosses & (x < x_at), axis=1) % 2) == 1


def pairwise_distances(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    diff = pts[:, None, :] - pts[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def single_linkage_groups(points: np.ndarray, radius: float) -> list[np.ndarray]:
    """Connected components of 'within ``radius``' (each returned as member indices)."""
    n = len(points)
    if n == 0:
        return []
    linked = pairwise_distances(points) <= radius
    label = np.full(n, -1)
    groups = []
    for seed in range(n):
        if label[seed] >= 0:
            continue
        label[seed] = len(groups)
        members, frontier = [seed], [seed]
        while frontier:
            nxt = np.flatnonzero(linked[frontier].any(axis=0) & (label < 0))
            label[nxt] = len(groups)
            members.extend(nxt.tolist())
            frontier = nxt.tolist()
        groups.append(np.array(sorted(members)))
    return groups


def closest_pair(points: np.ndarray) -> tuple[float, tuple[int, int]] | None:
    """The smallest distance between two of the points, and which two."""
    if len(points) < 2:
        return None
    d = pairwise_distances(points)
    np.fill_diagonal(d, np.inf)
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return float(d[i, j]), (int(min(i, j)), int(max(i, j)))
