"""Calibration preview: check a camera's zones and floor calibration by eye.

    python -m ingest.calibrate --config configs/demo.yaml --camera cam-01 --out preview.png [--frame N]

Draws the zones, a 1-metre floor grid from the homography, and the people the detector finds with
their floor coordinates in metres, on one frame of the camera's source.
"""

from __future__ import annotations

import argparse
import sys
from itertools import islice
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from configs.loader import load_or_exit
from detectors.draw import draw_floor_grid, draw_people
from detectors.factory import build_detector
from domain.floor import foot_points, homography_from_points, to_floor
from ingest.sources import SourceStats, open_source
from streams.evidence.draw import draw_zones, put_texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.calibrate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--camera", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--frame", type=int, default=0, help="analysed frame number to draw (0 = first)")
    args = parser.parse_args(argv)
    cfg = load_or_exit(args.config)
    camera = next((c for c in cfg.cameras if c.id == args.camera), None)
    if camera is None:
        print(f"no camera {args.camera!r} in {args.config}", file=sys.stderr)
        return 2
    source = open_source(camera.model_copy(update={"analysis_fps": 1000.0}), ZoneInfo(cfg.timezone), SourceStats())
    frame = next(islice(source.frames(), args.frame, None), None)
    if frame is None:
        print(f"camera {camera.id}: no frame {args.frame}", file=sys.stderr)
        return 1
    if frame.image is None:
        w, h = camera.frame_size or (1280, 720)
        image = np.full((h, w, 3), 40, np.uint8)
        detections = frame.detections
    else:
        image = frame.image.copy()
        detector = build_detector(cfg.detector)
        detections = detector.detect([frame.image])[0] if detector else None
    labels = draw_zones(image, list(camera.zones))
    homography = None
    if camera.calibration:
        homography = homography_from_points(camera.calibration.image, camera.calibration.floor)
        draw_floor_grid(image, homography)
        for x, y in camera.calibration.image:
            cv2.drawMarker(image, (int(x), int(y)), (255, 0, 255), cv2.MARKER_CROSS, 16, 2)
    if detections is not None and len(detections):
        floor = to_floor(homography, foot_points(detections.xyxy)) if homography is not None else None
        ids = [int(i) if i >= 0 else n for n, i in enumerate(detections.ids)]
        labels += draw_people(image, detections.xyxy, ids, floor)
    hall = cfg.hall(camera.hall)
    labels.append(
        (
            f"{hall.name} · {camera.name or camera.id} · {frame.time.isoformat(timespec='seconds')}",
            (10, image.shape[0] - 30),
            (255, 255, 255),
        )
    )
    image = put_texts(image, labels)
    cv2.imwrite(args.out, image)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
