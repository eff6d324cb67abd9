"""The vision stage against human annotation, per sequence, detector and analysis rate: the
numbers of docs/model_card.md.

    python -m benchmarks.bench_vision [--detectors det,nanodet,yolo,hog] [--rates all,5] [--sequences ...]
        [--curve 0.25,0.3,0.4,0.5]

For each sequence of ../shared/data: boxes against the annotation at IoU 0.5 (precision, recall,
the foot point's bias and spread in pixels, the width ratio), tracks (MOTA, IDF1, ID switches,
and the precision and recall of the people the rules see — tracked and detected in that frame —
with motmetrics), the floor position of matched people against the annotated ground-plane
position (median and p90, where the annotation has one; the calibration is fitted from the
annotation, as an installer's would be from measured floor marks), the event F1 of the rules
against the same rules on the annotated tracks (bench_event_f1's zones and rules, both at the row's
analysis rate), and
frames/s of detection plus tracking. The tracks measured are the ones the rules see (one tracker,
inside the pipeline's CameraAnalysis). With ``--curve``, a second table: box precision/recall at
each score threshold, and why people were missed at ``--box-conf`` (a box scored lower, covered by
another annotated person, recall by height among the people nobody covers). ``det`` replays the public CNN detections (det.txt; scores
clipped to [0, 1]); ``nanodet`` runs the offline default detector on the video; ``yolo`` runs
Ultralytics (``--weights``, ``--device cuda`` on a GPU machine) and ``hog`` OpenCV's HOG the same way.
"""

from __future__ import annotations

import argparse
import configparser
import itertools
import time
from datetime import timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment

from benchmarks.bench_event_f1 import T0, RulesRun, as_expected, calibration, config, run
from benchmarks.common import VideoFrames, shared
from configs.model import DetectorConfig, TrackerConfig
from detectors.detections import Detections
from domain.floor import foot_points, homography_from_points, to_floor
from ingest.detection_area import DetectionArea
from ingest.sources import Sampler, read_mot
from tests.scenario import event_f1

if not hasattr(np, "asfarray"):  # motmetrics 1.4 still calls np.asfarray, removed in NumPy 2
    np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]

SEQUENCES = {"pets09-s2l1": "vtest.avi", "tud-stadtmitte": "video.mp4", "tud-campus": "video.mp4"}


def area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas of xyxy boxes, a matrix."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of xyxy boxes."""
    inter = intersection(a, b)
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def match(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> list[tuple[int, int]]:
    if len(a) == 0 or len(b) == 0:
        return []
    overlap = iou(a, b)
    rows, cols = linear_sum_assignment(-overlap)
    return [(r, c) for r, c in zip(rows, cols) if overlap[r, c] >= threshold]


def gt_boxes(rows: np.ndarray) -> np.ndarray:
    return np.column_stack([rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4], rows[:, 3] + rows[:, 5]])


def build(detector_cfg: DetectorConfig, size: str):
    """The configured detector at input ``size`` ("416", "640"; "416sq" = as before the input
    followed the frame's aspect ratio: letterboxed into a square)."""
    from detectors.factory import build_detector
    from detectors.nanodet import InputGeometry, input_geometry

    if detector_cfg.backend == "hog":
        return build_detector(detector_cfg)
    side = int(size.removesuffix("sq"))
    if detector_cfg.backend == "yolo":
        return build_detector(detector_cfg.model_copy(update={"imgsz": side}))
    detector = build_detector(detector_cfg.model_copy(update={"input_size": side}))
    if size.endswith("sq"):

        def square(w: int, h: int, region=None) -> InputGeometry:
            g = input_geometry(w, h, side)
            return InputGeometry(
                side, side, g.scale_x, g.scale_y, (side - w * g.scale_x) / 2, (side - h * g.scale_y) / 2
            )

        detector.geometry = square  # type: ignore[union-attr]
    return detector


def evaluate(
    name: str,
    source: str,
    rate: str,
    tracker_cfg: TrackerConfig,
    detector_cfg: DetectorConfig,
    box_conf: float = 0.4,
    size: str = "",
    detection_area: str = "frame",
    still_recheck_s: float = 0.0,
    curve: tuple[float, ...] = (),
) -> dict:
    import motmetrics as mm

    folder = shared(name)
    seq = configparser.ConfigParser()
    seq.read(folder / "seqinfo.ini")
    info = seq["Sequence"]
    w, h, fps, last = int(info["imWidth"]), int(info["imHeight"]), float(info["frameRate"]), int(info["seqLength"])
    analysis_fps = fps if rate == "all" else min(fps, float(rate))
    sampler = Sampler(analysis_fps)
    indices = [i for i in range(1, last + 1) if sampler.take((i - 1) / fps)]
    gt = np.loadtxt(folder / "gt.txt", delimiter=",")
    by_frame = {int(f): gt[gt[:, 0] == f] for f in np.unique(gt[:, 0])}
    looking, dets = None, {}  # the detection area, for the detector's rows
    if source == "det":
        raw = read_mot(folder / "det.txt")
        dets = {i: Detections(d.xyxy, np.clip(d.scores, 0, 1), np.full(len(d), -1)) for i, d in raw.items()}
    else:
        # The benchmark's zones (bench_event_f1.layout) bound the search with ``zones``.
        camera = config(w, h, fps, None).cameras[0]
        looking = DetectionArea(
            camera.model_copy(update={"detection_area": detection_area, "still_recheck_s": still_recheck_s})
        )
        detector = build(detector_cfg, size)
    cal = calibration(gt)
    homography = homography_from_points(cal["image"], cal["floor"]) if cal else None
    # The tracks and the rules at the row's rate on these detections, in one pass (bench_event_f1's
    # zones and rules; the pipeline's CameraAnalysis): the tracks measured are the ones the rules see.
    rules_cfg = config(w, h, fps, cal, analysis_fps).model_copy(update={"tracker": tracker_cfg})
    rules = RulesRun(rules_cfg)
    frames = VideoFrames(folder / SEQUENCES[name])  # what the detector sees; the looks of the people tracked
    acc = mm.MOTAccumulator(auto_id=True)
    tp = fp = fn = 0
    misses = Misses(box_conf)
    at = {threshold: np.zeros(3, int) for threshold in curve}  # tp, fp, fn at each score threshold
    bias, widths, floor_errors = [], [], []
    detect_s = 0.0
    for index in indices:
        image, t = frames.at(index), (index - 1) / fps
        d = dets.get(index, Detections.empty())
        if looking is not None and image is not None:
            started = time.perf_counter()
            d = looking.detect(detector, image, T0 + timedelta(seconds=t))
            detect_s += time.perf_counter() - started
        people = [p for p in rules.frame(index, t, d, image) if p.detected]
        g = by_frame.get(index, np.empty((0, 10)))
        truth = gt_boxes(g)
        confident = d.xyxy[d.scores >= box_conf]
        pairs = match(confident, truth)
        tp, fp, fn = tp + len(pairs), fp + len(confident) - len(pairs), fn + len(truth) - len(pairs)
        misses.add(truth, d, {gi for _, gi in pairs})
        for threshold, counts in at.items():
            kept = d.xyxy[d.scores >= threshold]
            found = len(match(kept, truth))
            counts += (found, len(kept) - found, len(truth) - found)
        for di, gi in pairs:
            bias.append(foot_points(confident[di : di + 1])[0] - foot_points(truth[gi : gi + 1])[0])
            widths.append((confident[di, 2] - confident[di, 0]) / max(1e-6, truth[gi, 2] - truth[gi, 0]))
        hyp = np.array([p.xyxy for p in people]).reshape(-1, 4)
        distance = 1 - iou(truth, hyp) if len(truth) and len(hyp) else np.empty((len(truth), len(hyp)))
        distance[distance > 0.5] = np.nan
        acc.update(g[:, 1].astype(int).tolist(), [p.track_id for p in people], distance)
        if homography is not None:
            floor = to_floor(homography, foot_points(hyp)) if len(hyp) else np.empty((0, 2))
            for hi, gi in match(hyp, truth):
                floor_errors.append(float(np.linalg.norm(floor[hi] - g[gi, 7:9])))
    reused = looking.gate.reused / max(1, len(indices)) if looking is not None else 0.0
    summary = (
        mm.metrics.create()
        .compute(acc, metrics=["mota", "idf1", "num_switches", "precision", "recall"], name="x")
        .iloc[0]
    )
    bias_arr = np.array(bias).reshape(-1, 2)
    # Against the same rules, at the same rate, on the annotated tracks.
    reference = as_expected(run(rules_cfg, read_mot(folder / "gt.txt"), last, fps))
    events = event_f1(rules.events(), reference, T0)[0]
    return {
        "sequence": name,
        "source": (source if source == "det" or not size else f"{source} {size}")
        + (f" {detector_cfg.precision}" if source == "nanodet" else "")
        + (" zones" if source != "det" and detection_area == "zones" else "")
        + (f" still {still_recheck_s:g}s ({reused:.0%} kept)" if source != "det" and still_recheck_s else ""),
        "rate": f"{analysis_fps:g}",
        "frames": len(indices),
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "bias_x": float(np.median(bias_arr[:, 0])) if len(bias_arr) else float("nan"),
        "bias_y": float(np.median(bias_arr[:, 1])) if len(bias_arr) else float("nan"),
        "spread": float(np.percentile(np.linalg.norm(bias_arr, axis=1), 90)) if len(bias_arr) else float("nan"),
        "width": float(np.median(widths)) if widths else float("nan"),
        "mota": float(summary["mota"]),
        "idf1": float(summary["idf1"]),
        "switches": int(summary["num_switches"]),
        "tracked_precision": float(summary["precision"]),
        "tracked_recall": float(summary["recall"]),
        "floor_median": float(np.median(floor_errors)) if floor_errors else float("nan"),
        "floor_p90": float(np.percentile(floor_errors, 90)) if floor_errors else float("nan"),
        "event_f1": events,
        "fps": len(indices) / max(1e-9, detect_s + rules.track_s),
        "curve": {t: (c[0] / max(1, c[0] + c[1]), c[0] / max(1, c[0] + c[2])) for t, c in at.items()},
        "misses": misses,
    }


HEIGHTS = ((0, 50), (50, 70), (70, 90), (90, 130), (130, 10_000))  # annotated box heights, pixels


class Misses:
    """Why annotated people were missed at the counting threshold: found but not believed (a box
    at IoU >= 0.5 scored below it), covered (at least ``covered`` of the box under another
    annotated person's), and recall by box height among the people nobody covers."""

    def __init__(self, box_conf: float, covered: float = 0.3) -> None:
        self.box_conf, self.covered = box_conf, covered
        self.people = self.missed = self.unbelieved = self.hidden = 0
        self.by_height = np.zeros((len(HEIGHTS), 2), int)  # people, found

    def add(self, truth: np.ndarray, detections: Detections, found: set[int]) -> None:
        if len(truth) == 0:
            return
        inter = intersection(truth, truth)  # the share of each box under another annotated person's
        np.fill_diagonal(inter, 0)
        covered = inter.max(axis=1) / np.maximum(area(truth), 1e-9) >= self.covered
        weak = detections.xyxy[detections.scores < self.box_conf]
        weak_overlap = iou(truth, weak).max(axis=1) if len(weak) else np.zeros(len(truth))
        for index, box in enumerate(truth):
            self.people += 1
            hit = index in found
            if not hit:
                self.missed += 1
                self.unbelieved += bool(weak_overlap[index] >= 0.5)
                self.hidden += bool(covered[index])
            if not covered[index]:
                height = box[3] - box[1]
                band = next(b for b, (low, high) in enumerate(HEIGHTS) if low <= height < high)
                self.by_height[band] += (1, int(hit))

    def cells(self) -> list[str]:
        heights = [f"{found / people:.2f} ({people})" if people else "—" for people, found in self.by_height.tolist()]
        return [str(self.missed), str(self.unbelieved), str(self.hidden), *heights]


HEADER = (
    "| sequence | detector | fps analysed | box P / R @0.5 | foot bias x, y (px) | foot p90 (px) | width x "
    "| MOTA | IDF1 | ID sw. | tracked P / R | floor err. median / p90 (m) | event F1 | frames/s |"
)


def row(r: dict) -> str:
    floor = "—" if r["floor_median"] != r["floor_median"] else f"{r['floor_median']:.2f} / {r['floor_p90']:.2f}"
    return (
        f"| {r['sequence']} | {r['source']} | {r['rate']} | {r['precision']:.2f} / {r['recall']:.2f} | "
        f"{r['bias_x']:+.1f}, {r['bias_y']:+.1f} | {r['spread']:.1f} | {r['width']:.2f} | {r['mota']:.2f} | "
        f"{r['idf1']:.2f} | {r['switches']} | {r['tracked_precision']:.2f} / {r['tracked_recall']:.2f} | {floor} | {r['event_f1']:.2f} | "
        f"{'replayed' if r['source'] == 'det' else format(r['fps'], '.1f')} |"
    )


def curve_header(thresholds: tuple[float, ...]) -> str:
    heights = " | ".join(f"recall {low}–{high} px" if high < 10_000 else f"recall ≥{low} px" for low, high in HEIGHTS)
    return (
        "| sequence | detector | fps analysed | "
        + " | ".join(f"P / R @{t:g}" for t in thresholds)
        + f" | missed | of them scored lower | of them covered | {heights} |"
    )


def curve_row(r: dict) -> str:
    points = [f"{p:.2f} / {rec:.2f}" for p, rec in r["curve"].values()]
    return "| " + " | ".join([r["sequence"], r["source"], r["rate"], *points, *r["misses"].cells()]) + " |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--detectors",
        default="det,nanodet",
        help="det (the benchmark's public detections, replayed), nanodet (the offline default), yolo (Ultralytics: "
        "needs the yolo extras and its weights), hog",
    )
    parser.add_argument("--weights", default=DetectorConfig().weights, help="yolo: the weights file")
    parser.add_argument("--device", default=DetectorConfig().device, help="yolo: cpu, cuda or cuda:N")
    parser.add_argument(
        "--yolo-sizes", default=str(DetectorConfig().imgsz), help="yolo: input sizes to compare, e.g. 640,960"
    )
    parser.add_argument("--rates", default="all,5")
    parser.add_argument("--sequences", default=",".join(SEQUENCES))
    parser.add_argument("--conf", type=float, default=DetectorConfig().conf, help="the detector's threshold")
    parser.add_argument("--box-conf", type=float, default=0.4, help="boxes counted in precision/recall")
    parser.add_argument("--letterbox", action=argparse.BooleanOptionalAction, default=DetectorConfig().letterbox)
    parser.add_argument(
        "--input-sizes",
        default=str(DetectorConfig().input_size),
        help="NanoDet input long sides to compare, e.g. 416sq,416,512,576,640 (416sq: letterboxed into a square)",
    )
    parser.add_argument(
        "--detection-areas", default="frame", help="frame, zones or both (frame,zones): where NanoDet looks"
    )
    parser.add_argument(
        "--still-rechecks",
        default="0",
        help="camera.still_recheck_s values to compare, e.g. 0,3 (0: the detector looks at every analysed frame)",
    )
    parser.add_argument(
        "--precisions", default=DetectorConfig().precision, help="NanoDet's fp32, bf16, int8 or several (fp32,bf16)"
    )
    parser.add_argument(
        "--curve",
        default="",
        help="score thresholds, e.g. 0.25,0.3,0.35,0.4,0.45,0.5: a second table with box precision/recall at "
        "each and why people were missed at --box-conf (scored lower, covered by another, recall by height)",
    )
    args = parser.parse_args()
    unknown = set(args.detectors.split(",")) - {"det", "nanodet", "yolo", "hog"}
    if unknown:
        parser.error(f"--detectors: unknown {sorted(unknown)}")

    curve = tuple(float(v) for v in args.curve.split(",") if v)
    if any(t < args.conf for t in curve):
        parser.error(f"--curve: the detector passes no box scored below --conf {args.conf:g}")
    print(HEADER)
    print("|" + "---|" * 14)
    results = []
    for name in args.sequences.split(","):
        for source in args.detectors.split(","):
            sizes = {"nanodet": args.input_sizes, "yolo": args.yolo_sizes}.get(source, "").split(",")
            precisions = args.precisions.split(",") if source == "nanodet" else ["fp32"]
            for size, where, precision, still, rate in itertools.product(
                sizes,
                ["frame"] if source == "det" else args.detection_areas.split(","),
                precisions,
                [0.0] if source == "det" else [float(v) for v in args.still_rechecks.split(",")],
                args.rates.split(","),
            ):
                detector_cfg = DetectorConfig(
                    backend="auto" if source == "nanodet" else "replay" if source == "det" else source,
                    conf=args.conf,
                    letterbox=args.letterbox,
                    precision=precision,
                    weights=args.weights,
                    device=args.device,
                )
                result = evaluate(
                    name, source, rate, TrackerConfig(), detector_cfg, args.box_conf, size, where, still, curve
                )
                results.append(result)
                print(row(result), flush=True)
    if curve:
        print()
        print(curve_header(curve))
        print("|" + "---|" * (3 + len(curve) + 3 + len(HEIGHTS)))
        for result in results:
            print(curve_row(result))


if __name__ == "__main__":
    main()
