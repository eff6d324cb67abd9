"""Event F1 on real footage: the rules on detector output vs the rules on human-annotated tracks.

    python -m benchmarks.bench_event_f1 [--detectors det,nanodet]

For each sequence in ../shared/data the same zones and rules run twice: on the annotated tracks
(gt.txt, the reference events) and on detections passed through our tracker (det.txt, the public
CNN detections, and/or the offline NanoDet run on the video). Events match when type and zone agree
and their time intervals overlap with IoU >= 0.5. The zone layout is drawn from fractions of the
frame, the same for every sequence (nothing is fitted to a sequence); the calibration is fitted
from the annotated ground-plane positions where they exist (PETS09-S2L1, TUD-Stadtmitte).
"""

from __future__ import annotations

import argparse
import configparser
import time
from datetime import datetime, timedelta

import cv2
import numpy as np

from benchmarks.common import VideoFrames, shared
from configs.loader import parse_config
from detectors.detections import Detections
from detectors.tracking import TrackedPerson
from ingest.analysis import CameraAnalysis
from ingest.frames import Frame
from ingest.sources import Sampler, read_mot
from streams.wire import encode
from tests.scenario import Expected, event_f1

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
RULES = {
    "empty_post": {"after_s": 10, "return_s": 2},
    "staff_chatting": {"min_people": 2, "radius_m": 1.5, "min_duration_s": 3, "clear_s": 1},
    "queue_crowding": {"min_distance_m": 1.0, "max_in_service_area": 1, "min_duration_s": 2, "clear_s": 1},
}


def box(w, h, x0, y0, x1, y1):
    return [[x0 * w, y0 * h], [x1 * w, y0 * h], [x1 * w, y1 * h], [x0 * w, y1 * h]]


def layout(w: int, h: int) -> list[dict]:
    return [
        {"id": "post-a", "kind": "post", "window": "w1", "polygon": box(w, h, 0.10, 0.45, 0.30, 0.65)},
        {"id": "post-b", "kind": "post", "window": "w2", "polygon": box(w, h, 0.60, 0.45, 0.80, 0.65)},
        {"id": "staff", "kind": "staff_area", "polygon": box(w, h, 0.0, 0.30, 1.0, 0.70)},
        {"id": "front", "kind": "service_area", "window": "w1", "polygon": box(w, h, 0.35, 0.60, 0.60, 0.80)},
        {"id": "queue", "kind": "queue_area", "polygon": box(w, h, 0.0, 0.70, 1.0, 1.0)},
    ]


def calibration(gt: np.ndarray):
    if np.all(gt[:, 7] == -1):
        return None
    foot = np.column_stack([gt[:, 2] + gt[:, 4] / 2, gt[:, 3] + gt[:, 5]])
    matrix, _ = cv2.findHomography(foot, gt[:, 7:9], cv2.RANSAC, 0.5)
    image = np.array([[0.2, 0.5], [0.8, 0.5], [0.8, 0.95], [0.2, 0.95]]) * [foot[:, 0].max(), foot[:, 1].max()]
    floor = cv2.perspectiveTransform(image.reshape(-1, 1, 2), matrix).reshape(-1, 2)
    return {"image": image.round(1).tolist(), "floor": floor.round(3).tolist()}


def config(w, h, fps, cal, rate: float = 5.0):
    zones = layout(w, h)
    camera = {
        "id": "cam",
        "hall": "h",
        "source": "mot:x",
        "frame_size": [w, h],
        "source_fps": fps,
        "analysis_fps": rate,
        "start_time": T0.isoformat(),
        "zones": zones,
    }
    if cal:
        camera["calibration"] = cal
    else:  # no ground-plane annotation: the rules that measure metres cannot run (the config says so)
        for zone in zones:
            rule = {"staff_area": "staff_chatting", "queue_area": "queue_crowding"}.get(zone["kind"])
            if rule:
                zone["rules"] = {rule: {"enabled": False}}
    return parse_config(
        {
            "regions": [{"id": "c", "name": "市", "level": "city"}],
            "halls": [{"id": "h", "name": "大厅", "region": "c", "windows": [{"id": "w1"}, {"id": "w2"}]}],
            "cameras": [camera],
            "rules": RULES,
        }
    )


class RulesRun:
    """One camera's rules fed frame by frame (tracker, floor, rules: the pipeline's CameraAnalysis);
    ``events`` ends the run and gives the closed violations, encoded."""

    def __init__(self, cfg):
        self._analysis = CameraAnalysis(cfg, cfg.cameras[0], None, emit=lambda m: None)
        self._out: list = []
        self.track_s = 0.0  # seconds spent tracking

    def frame(self, index: int, t: float, detections: Detections, image=None) -> list[TrackedPerson]:
        """Frame ``index`` at ``t`` seconds; with ``image`` the tracker also compares looks. The
        people the rules saw (tracked, held ones included)."""
        frame = Frame("cam", index, T0 + timedelta(seconds=t), image, detections)
        started = time.perf_counter()
        tracked = self._analysis.track(frame)
        self.track_s += time.perf_counter() - started
        self._out += self._analysis.observe(frame, tracked)
        return tracked

    def events(self) -> list[dict]:
        self._out += self._analysis.finish()
        return [encode(v) for v in self._out if v.status == "closed"]


def run(cfg, by_frame: dict, last: int, fps: float, video=None) -> list[dict]:
    """The rules on ``by_frame`` at the camera's analysis rate; with ``video`` (the frames the
    detections are from) the tracker also compares the people's looks, as the pipeline does."""
    rules = RulesRun(cfg)
    sampler = Sampler(cfg.cameras[0].analysis_fps)
    frames = VideoFrames(video) if video is not None else None
    for index in range(1, last + 1):
        t = (index - 1) / fps
        if sampler.take(t):
            image = frames.at(index) if frames is not None else None
            rules.frame(index, t, by_frame.get(index, Detections.empty()), image)
    return rules.events()


def as_expected(events: list[dict]) -> list[Expected]:
    def s(iso):
        return (datetime.fromisoformat(iso) - T0).total_seconds()

    return [Expected(e["type"], e["zone_id"], s(e["started_at"]), s(e["ended_at"])) for e in events]


def nanodet(video, last: int, fps: float) -> dict:
    from configs.model import DetectorConfig
    from detectors.factory import build_detector

    detector = build_detector(DetectorConfig(backend="auto"))  # the product's defaults
    frames = VideoFrames(video)
    sampler = Sampler(5.0)
    out = {}
    for index in range(1, last + 1):
        if sampler.take((index - 1) / fps):
            image = frames.at(index)
            if image is None:
                break
            out[index] = detector.detect([image])[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detectors", default="det,nanodet")
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
    for name, video in (("pets09-s2l1", "vtest.avi"), ("tud-stadtmitte", "video.mp4"), ("tud-campus", "video.mp4")):
        folder = shared(name)
        info = configparser.ConfigParser()
        info.read(folder / "seqinfo.ini")
        seq = info["Sequence"]
        w, h, fps, last = int(seq["imWidth"]), int(seq["imHeight"]), float(seq["frameRate"]), int(seq["seqLength"])
        gt_rows = np.loadtxt(folder / "gt.txt", delimiter=",")
        cfg = config(w, h, fps, calibration(gt_rows))
        reference = as_expected(run(cfg, read_mot(folder / "gt.txt"), last, fps))
        for source in args.detectors.split(","):
            dets = read_mot(folder / "det.txt") if source == "det" else nanodet(folder / video, last, fps)
            if source == "det":  # public detections carry ids -1 already; keep only confident ones
                dets = {k: Detections(v.xyxy, np.clip(v.scores, 0, 1), np.full(len(v), -1)) for k, v in dets.items()}
            predicted = run(cfg, dets, last, fps, folder / video)  # the frames: the tracker compares looks
            f1, matches = event_f1(predicted, reference, T0)
            totals.setdefault(source, []).append(f1)
            print(
                f"{name:15s} {source:8s} reference events {len(reference):3d}  predicted {len(predicted):3d}  "
                f"matched {len(matches):3d}  event F1 {f1:.3f}"
            )
    for source, values in totals.items():
        print(f"mean event F1 ({source}): {np.mean(values):.3f}")


if __name__ == "__main__":
    main()
