"""Tracking quality on PETS09-S2L1 (../shared/data), with motmetrics, and floor-position error.

    python -m benchmarks.bench_tracking [--sources det,nanodet] [--trackers supervision,ultralytics]

det: the public CNN detections (det.txt) replayed through our tracker; nanodet: the offline
detector run on vtest.avi. Every frame is analysed (7 fps, as captured). Reports MOTA, IDF1, ID
switches, precision/recall, and the median distance between our floor position (demo calibration)
and the annotated ground-plane position of matched people. With ``--trackers
supervision,ultralytics`` the product's tracker (supervision's ByteTrack) and the one it replaced
(ultralytics' BYTETracker, needs the YOLO extra) run side by side on the same detections.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import VTEST, shared
from configs.loader import load_config
from configs.model import TrackerConfig
from detectors.tracking import PersonTracker
from domain.floor import foot_points, homography_from_points, to_floor
from ingest.sources import read_mot

# motmetrics 1.4 (its latest release) still calls np.asfarray, removed in NumPy 2.
if not hasattr(np, "asfarray"):
    np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]


def load_gt(path):
    rows = np.loadtxt(path, delimiter=",")
    return {int(f): rows[rows[:, 0] == f] for f in np.unique(rows[:, 0])}


def nanodet_detections(frames: int) -> dict:
    import cv2

    from configs.model import DetectorConfig
    from detectors.factory import build_detector

    detector = build_detector(DetectorConfig(backend="auto"))  # the product's defaults
    cap = cv2.VideoCapture(str(VTEST))
    out = {}
    for i in range(1, frames + 1):
        ok, image = cap.read()
        if not ok:
            break
        out[i] = detector.detect([image])[0]
    return out


def evaluate(
    detections: dict, gt: dict, homography, config: TrackerConfig, fps: float, held: bool, tracker_class=PersonTracker
):
    import motmetrics as mm

    tracker = tracker_class(config, fps)
    acc = mm.MOTAccumulator(auto_id=True)
    floor_errors = []
    from detectors.detections import Detections

    update_s = 0.0
    for frame in range(1, max(gt) + 1):
        started = time.perf_counter()
        tracked = tracker.update(detections.get(frame, Detections.empty()))
        update_s += time.perf_counter() - started
        people = [p for p in tracked if held or p.detected]
        g = gt.get(frame, np.empty((0, 10)))
        gt_boxes = g[:, 2:6]
        hyp = np.array([p.xyxy for p in people]).reshape(-1, 4)
        hyp_xywh = np.column_stack([hyp[:, :2], hyp[:, 2:] - hyp[:, :2]])
        dist = mm.distances.iou_matrix(gt_boxes, hyp_xywh, max_iou=0.5)
        acc.update(g[:, 1].astype(int).tolist(), [p.track_id for p in people], dist)
        if len(people) and len(g):
            floor = to_floor(homography, foot_points(hyp))
            for gi, row in enumerate(dist):
                if np.all(np.isnan(row)):
                    continue
                hi = int(np.nanargmin(row))
                floor_errors.append(float(np.linalg.norm(floor[hi] - g[gi, 7:9])))
    metrics = mm.metrics.create().compute(
        acc, metrics=["mota", "idf1", "num_switches", "precision", "recall"], name="x"
    )
    return metrics.iloc[0], float(np.median(floor_errors)), update_s / max(gt) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", default="det,nanodet", help="det (det.txt replayed), nanodet, or both")
    parser.add_argument(
        "--trackers",
        default="supervision",
        help="supervision (the product's), ultralytics (the one it replaced), or both",
    )
    args = parser.parse_args()
    folder = shared("pets09-s2l1")
    gt = load_gt(folder / "gt.txt")
    cfg = load_config("configs/demo.yaml")
    cal = cfg.cameras[0].calibration
    homography = homography_from_points(cal.image, cal.floor)
    for source in args.sources.split(","):
        detections = read_mot(folder / "det.txt") if source == "det" else nanodet_detections(max(gt))
        for name in args.trackers.split(","):
            tracker_class = PersonTracker
            if name == "ultralytics":
                from benchmarks.ultralytics_tracker import UltralyticsPersonTracker as tracker_class
            for held in (False, True):
                report(
                    f"{source}/{name}",
                    held,
                    *evaluate(detections, gt, homography, cfg.tracker, 7.0, held, tracker_class),
                )


def report(source: str, held: bool, m, floor: float, ms_per_frame: float) -> None:
    label = "tracks incl. held" if held else "tracks (detected)"
    print(
        f"{source:20s} {label:18s} MOTA {m['mota']:.3f}  IDF1 {m['idf1']:.3f}  "
        f"ID switches {int(m['num_switches'])}  precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
        f"median floor error {floor:.3f} m  tracker {ms_per_frame:.2f} ms/frame"
    )


if __name__ == "__main__":
    main()
