"""Floor geometry: image pixels <-> floor metres through a camera's calibrated homography.

At the bottom of the tree, in numpy alone, so that config validation rejects exactly the
calibrations the pipeline could not use, and the pipeline, the installer tool and the config
share one mapping."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A homography whose condition number exceeds this maps tiny pixel errors to huge floor errors.
_MAX_CONDITION = 1e12


def homography_from_points(image: Sequence[Sequence[float]], floor: Sequence[Sequence[float]]) -> np.ndarray:
    """Least-squares homography (all pairs, no RANSAC: installers' points are trusted).

    Raises ValueError for degenerate input (fewer than 4 pairs, three or more collinear points
    in a 4-point set, or a singular result), so config validation can name the key.
    """
    src = np.asarray(image, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(floor, dtype=np.float64).reshape(-1, 2)
    if len(src) < 4 or len(src) != len(dst):
        raise ValueError("needs at least 4 matching image/floor point pairs")
    if len(src) == 4:
        for pts, name in ((src, "image"), (dst, "floor")):
            for skip in range(4):
                a, b, c = np.delete(pts, skip, axis=0)
                (ux, uy), (vx, vy) = b - a, c - a
                if abs(ux * vy - uy * vx) < 1e-6 * max(1.0, np.ptp(pts) ** 2):
                    raise ValueError(f"three of the 4 {name} points are collinear")
    matrix = _direct_linear_transform(src, dst)
    if matrix is not None and len(src) > 4:
        matrix = _refined(matrix, src, dst)
    if matrix is None or not np.all(np.isfinite(matrix)) or np.linalg.cond(matrix) > _MAX_CONDITION:
        raise ValueError("the calibration points do not define a usable homography")
    return matrix


def floor_grid(
    matrix: np.ndarray,
    floor_points: Sequence[Sequence[float]],
    frame_size: tuple[int, int],
    step_m: float = 1.0,
    margin_m: float = 2.0,
) -> list[list[list[float]]]:
    """The metric floor grid in image pixels, for installers to check a calibration by eye: lines
    every ``step_m`` over the calibrated area (the floor points' extent plus ``margin_m``), not to
    the horizon; each line as a polyline clipped to the frame and to the floor in front of the
    camera. ``matrix`` maps image -> floor."""
    floor = np.asarray(floor_points, dtype=np.float64).reshape(-1, 2)
    lo = np.floor((floor.min(axis=0) - margin_m) / step_m) * step_m
    hi = np.ceil((floor.max(axis=0) + margin_m) / step_m) * step_m
    inverse = np.linalg.inv(matrix)
    width, height = frame_size
    lines = []
    for axis in (0, 1):
        for value in np.arange(lo[axis], hi[axis] + step_m / 2, step_m):
            other = np.linspace(lo[1 - axis], hi[1 - axis], 64)
            pts = (
                np.column_stack([np.full_like(other, value), other])
                if axis == 0
                else np.column_stack([other, np.full_like(other, value)])
            )
            projected = np.column_stack([pts, np.ones(len(pts))]) @ inverse.T
            ahead = projected[:, 2] > 1e-9
            image = projected[:, :2] / np.where(ahead, projected[:, 2], 1.0)[:, None]
            inside = ahead & (image[:, 0] >= 0) & (image[:, 0] <= width) & (image[:, 1] >= 0) & (image[:, 1] <= height)
            if inside.sum() > 1:
                lines.append(np.round(image[inside], 1).tolist())
    return lines


def reprojection_errors(
    matrix: np.ndarray, image_points: Sequence[Sequence[float]], floor_points: Sequence[Sequence[float]]
) -> list[float]:
    """Metres between each floor point and where its image point maps: large values name a
    mistyped or misplaced calibration point."""
    mapped = to_floor(matrix, image_points)
    return np.round(np.linalg.norm(mapped - np.asarray(floor_points, dtype=np.float64), axis=1), 3).tolist()


def _normalising(points: np.ndarray) -> np.ndarray:
    """Hartley's conditioning: centroid to the origin, mean distance sqrt(2)."""
    centre = points.mean(axis=0)
    spread = np.sqrt(((points - centre) ** 2).sum(axis=1)).mean()
    scale = np.sqrt(2.0) / spread if spread > 0 else 1.0
    return np.array([[scale, 0.0, -scale * centre[0]], [0.0, scale, -scale * centre[1]], [0.0, 0.0, 1.0]])


def _direct_linear_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """The normalised DLT: the homography minimising the algebraic error over all pairs (exact for
    four points), scaled so that its last element is 1; None when it has no such form."""
    t_src, t_dst = _normalising(src), _normalising(dst)
    a = np.column_stack([src, np.ones(len(src))]) @ t_src.T
    b = np.column_stack([dst, np.ones(len(dst))]) @ t_dst.T
    rows = []
    for (x, y, w), (u, v, z) in zip(a, b, strict=True):
        rows.append([0, 0, 0, -z * x, -z * y, -z * w, v * x, v * y, v * w])
        rows.append([z * x, z * y, z * w, 0, 0, 0, -u * x, -u * y, -u * w])
    _, _, vt = np.linalg.svd(np.asarray(rows, dtype=np.float64))
    matrix = np.linalg.inv(t_dst) @ vt[-1].reshape(3, 3) @ t_src
    if abs(matrix[2, 2]) < 1e-12:
        return None
    return matrix / matrix[2, 2]


def _refined(matrix: np.ndarray, src: np.ndarray, dst: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Levenberg-Marquardt on the floor-plane error of every pair, from the DLT (what OpenCV's
    least-squares ``findHomography`` does): more than four points are fitted in metres, not in
    the DLT's algebraic error."""
    h = matrix.ravel()[:8].copy()
    damping = 1e-3

    def residuals(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = src[:, 0], src[:, 1]
        u = p[0] * x + p[1] * y + p[2]
        v = p[3] * x + p[4] * y + p[5]
        w = p[6] * x + p[7] * y + 1.0
        r = np.concatenate([u / w - dst[:, 0], v / w - dst[:, 1]])
        zero = np.zeros_like(x)
        ju = np.column_stack([x / w, y / w, 1 / w, zero, zero, zero, -u * x / w**2, -u * y / w**2])
        jv = np.column_stack([zero, zero, zero, x / w, y / w, 1 / w, -v * x / w**2, -v * y / w**2])
        return r, np.vstack([ju, jv])

    r, jacobian = residuals(h)
    cost = float(r @ r)
    for _ in range(iterations):
        normal = jacobian.T @ jacobian
        step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), -jacobian.T @ r)
        candidate = h + step
        r_new, j_new = residuals(candidate)
        new_cost = float(r_new @ r_new)
        if np.isfinite(new_cost) and new_cost < cost:
            h, r, jacobian, cost, damping = candidate, r_new, j_new, new_cost, damping / 10
            if np.abs(step).max() < 1e-12 * (1 + np.abs(h).max()):
                break
        else:
            damping *= 10
    return np.append(h, 1.0).reshape(3, 3)


def to_floor(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 image points to Nx2 floor points (metres)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return np.empty((0, 2))
    mapped = np.column_stack([pts, np.ones(len(pts))]) @ np.asarray(matrix, dtype=np.float64).T
    return mapped[:, :2] / mapped[:, 2:3]


def to_image(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map Nx2 floor points (metres) back to image pixels (``matrix`` maps image -> floor)."""
    return to_floor(np.linalg.inv(matrix), points)


def foot_points(boxes_xyxy: np.ndarray) -> np.ndarray:
    """Bottom-centre of each box: where a standing person touches the floor."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]], axis=1)
