"""Detectors on real footage (vtest.avi, fetched by set-up from Debian's opencv-doc) and the
Ultralytics integration with a model built from its architecture YAML (no weights download)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from configs.model import DetectorConfig
from detectors.factory import build_detector
from detectors.hog import HogDetector
from detectors.models import nanodet_path
from tests.conftest import ROOT

VTEST = ROOT / "data" / "vtest.avi"
needs_footage = pytest.mark.skipif(not VTEST.exists(), reason="run scripts/setup.sh to fetch vtest.avi")


def frames(n: int, step: int = 50) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(VTEST))
    out = []
    for i in range(n * step):
        ok, image = cap.read()
        if not ok:
            break
        if i % step == 0:
            out.append(image)
    cap.release()
    return out


def people_found(detector, images) -> list[int]:
    return [len(d) for d in detector.detect(images)]


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_offline_default_finds_people_on_real_footage():
    detector = build_detector(DetectorConfig(backend="auto", conf=0.5))
    assert detector.name == "nanodet"
    images = frames(6)
    results = detector.detect(images)
    counts = [len(r) for r in results]
    assert sum(counts) >= 12, counts  # PETS09-S2L1 has 3-8 people in view throughout
    for r, image in zip(results, images):
        h, w = image.shape[:2]
        assert np.all(r.xyxy[:, [0, 2]] >= 0) and np.all(r.xyxy[:, [0, 2]] <= w)
        heights = r.xyxy[:, 3] - r.xyxy[:, 1]
        assert np.all((heights > 30) & (heights < 200))  # people, not the scene
        assert np.all((r.scores >= 0.5) & (r.scores <= 1))


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_the_input_follows_the_frames_aspect_and_its_configured_size():
    """The converted graph was exported at 416x416 and runs at any multiple of 32: a 4:3 frame is
    a 416x320 input (not a square that is a quarter padding) and finds the same people as the
    square did; a larger configured size is a larger input and still finds them."""
    from benchmarks.bench_vision import build, match

    images = frames(4)
    h, w = images[0].shape[:2]
    default = build_detector(DetectorConfig())
    assert (default.geometry(w, h).width, default.geometry(w, h).height) == (416, 320)
    larger = build_detector(DetectorConfig(input_size=640))
    assert (larger.geometry(w, h).width, larger.geometry(w, h).height) == (640, 480)
    square = build(DetectorConfig(), "416sq")  # as before: letterboxed into a 416x416 square
    for image in images:
        ours, before, big = (d.detect([image])[0] for d in (default, square, larger))
        confident = [r.xyxy[r.scores >= 0.5] for r in (ours, before, big)]
        assert len(confident[1]) >= 2
        # the same people as with the square input, box for box (IoU >= 0.7)
        assert len(match(confident[0], confident[1], 0.7)) >= 0.8 * len(confident[1])
        assert len(match(confident[2], confident[1], 0.5)) >= 0.7 * len(confident[1])


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_a_region_is_looked_at_with_the_frames_scale_and_finds_the_same_people_there():
    """With a region NanoDet feeds only it, at the whole frame's pixels per person (a smaller
    input, not a magnified one): the people well inside it (half their height from its edges, the
    room DetectionArea leaves around the zones) are the ones the whole frame finds there, at the
    same places in the frame."""
    from benchmarks.bench_vision import match

    detector = build_detector(DetectorConfig())
    region = (0, 100, 500, 450)
    g = detector.geometry(768, 576, region)
    assert (g.width, g.height) == (288, 192)  # 500x350 at 416/768, to multiples of 32
    compared = 0
    for image in frames(4):
        whole, cut = detector.detect([image, image], [None, region])
        half = (whole.xyxy[:, 3] - whole.xyxy[:, 1]) / 2
        inside = (
            (whole.xyxy[:, 0] > half)
            & (whole.xyxy[:, 1] > 100 + half)
            & (whole.xyxy[:, 2] < 500 - half)
            & (whole.xyxy[:, 3] < 450 - half)
        )
        expected = whole.xyxy[(whole.scores >= 0.5) & inside]
        found = cut.xyxy[cut.scores >= 0.5]
        assert np.all((found[:, [0, 2]] >= 0) & (found[:, [0, 2]] <= 500))
        assert np.all((found[:, [1, 3]] >= 100) & (found[:, [1, 3]] <= 450))
        assert len(match(expected, found, 0.7)) >= 0.8 * len(expected), (expected, found)
        compared += len(expected)
    assert compared >= 4


@needs_footage
def test_hog_fallback_is_weak_but_works():
    counts = people_found(HogDetector(), frames(3))
    assert sum(counts) >= 1


def test_auto_falls_back_to_hog_with_a_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("HALLWATCH_CACHE", str(tmp_path))  # an empty cache: no converted model
    detector = build_detector(DetectorConfig(backend="auto"))
    assert detector.name == "hog"
    assert any("FALLING BACK" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="detectors.models fetch"):
        build_detector(DetectorConfig(backend="nanodet"))


@pytest.mark.slow
def test_yolo_from_architecture_yaml_batches_and_exports_to_onnx(tmp_path, monkeypatch):
    from ultralytics import YOLO

    from detectors.yolo import YoloDetector

    monkeypatch.chdir(tmp_path)
    model = YOLO("yolo11n.yaml")  # the architecture, randomly initialised: weights never downloaded
    detector = YoloDetector(model, device="cpu", imgsz=320, conf=0.001)
    images = [
        np.zeros((480, 640, 3), np.uint8),
        np.full((360, 640, 3), 127, np.uint8),
        np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8),
    ]
    results = detector.detect(images)  # three cameras' frames in one call
    assert len(results) == 3
    for r in results:
        assert r.xyxy.shape[1] == 4 and r.scores.shape == (len(r),) and np.all(r.ids == -1)
    assert detector.half is False  # FP16 only on CUDA
    assert YoloDetector(model, device="cpu", half=True).half is False
    exported = Path(model.export(format="onnx", imgsz=320, dynamic=True))
    assert exported.exists()
    import onnxruntime as ort

    session = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert inp.shape[0] == "batch" and inp.shape[1] == 3
    (out,) = session.run(None, {inp.name: np.zeros((2, 3, 320, 320), np.float32)})
    assert out.shape[0] == 2 and out.shape[1] == 84  # 4 box + 80 COCO classes, batched
    onnx_detector = YoloDetector(str(exported), device="cpu", imgsz=320, conf=0.001)
    assert len(onnx_detector.detect(images[:2])) == 2


def _one_box_outputs(geometry, stride: int, col: int, row: int, bins: tuple[int, int, int, int]):
    """Head outputs over ``geometry``'s grid with a single confident person at cell (col, row) of
    ``stride`` whose edges lie ``bins`` x stride from the cell's prior (left, top, right, bottom)."""
    from detectors.nanodet import BINS, STRIDES

    out = {}
    for s in STRIDES:
        cols, rows = geometry.cells(s)
        out[s] = (np.zeros((cols * rows, 80), np.float32), np.zeros((cols * rows, 4 * BINS), np.float32))
    scores, box = out[stride]
    index = row * geometry.cells(stride)[0] + col
    scores[index, 0] = 0.9
    logits = np.full((4, BINS), -50.0, np.float32)
    for side, k in enumerate(bins):
        logits[side, k] = 50.0  # the softmax expectation is exactly bin k
    box[index] = logits.ravel()
    return out


@pytest.mark.parametrize("stride", [8, 16, 32])
def test_nanodet_decoding_puts_each_prior_at_its_cell_centre(stride):
    from detectors.nanodet import SIZE, decode, input_geometry

    col, row, bins = 5, 7, (1, 3, 2, 4)
    cx, cy = (col + 0.5) * stride, (row + 0.5) * stride
    expected = np.array([cx - bins[0] * stride, cy - bins[1] * stride, cx + bins[2] * stride, cy + bins[3] * stride])
    square = input_geometry(SIZE, SIZE, letterbox=False)
    found = decode(_one_box_outputs(square, stride, col, row, bins), SIZE, SIZE, square, conf=0.5, iou=0.5)
    assert len(found) == 1 and np.abs(found.xyxy[0] - expected).max() < 1.0, (found.xyxy, expected)
    # The same box in a 768x576 frame (the model sees it squeezed into 416x416).
    squeezed = input_geometry(768, 576, letterbox=False)
    frame = decode(_one_box_outputs(squeezed, stride, col, row, bins), 768, 576, squeezed, conf=0.5, iou=0.5)
    scale = np.array([768 / SIZE, 576 / SIZE] * 2)
    assert np.abs(frame.xyxy[0] - np.clip(expected, 0, SIZE) * scale).max() < 1.0


@pytest.mark.parametrize("size", [416, 512, 640])
def test_nanodet_letterbox_maps_boxes_back_to_the_frame(size):
    """A 4:3 frame keeps its aspect ratio: its long side is the input size and the short side is
    padded only up to a multiple of 32; a box decoded on that grid lands where it is in the frame."""
    from detectors.nanodet import decode, input_geometry

    g = input_geometry(768, 576, size=size, letterbox=True)
    assert g.width == size and g.height % 32 == 0 and 0 <= g.height - 576 * size / 768 < 32
    assert g.scale_x == g.scale_y == size / 768 and g.pad_x == 0 and g.pad_y == (g.height - 576 * g.scale_y) / 2
    stride, col, row, bins = 16, 10, 12, (1, 2, 1, 3)
    cx, cy = (col + 0.5) * stride, (row + 0.5) * stride
    in_input = np.array([cx - stride, cy - 2 * stride, cx + stride, cy + 3 * stride])
    expected = (in_input - [g.pad_x, g.pad_y, g.pad_x, g.pad_y]) / g.scale_x
    found = decode(_one_box_outputs(g, stride, col, row, bins), 768, 576, g, conf=0.5, iou=0.5)
    assert np.abs(found.xyxy[0] - expected).max() < 1.0


def test_tracks_report_the_filtered_state_not_one_frames_jitter():
    """A person standing still, detected with a few pixels of jitter: the tracker reports its
    Kalman-filtered box, whose foot point moves much less than the raw detections'."""
    from configs.model import TrackerConfig
    from detectors.detections import Detections
    from detectors.tracking import PersonTracker
    from domain.floor import foot_points

    rng = np.random.default_rng(7)
    tracker = PersonTracker(TrackerConfig(), analysis_fps=5)
    raw, tracked = [], []
    for _ in range(60):
        box = np.array([[300, 200, 360, 380]], float) + rng.normal(0, 4, size=(1, 4))
        raw.append(foot_points(box)[0])
        people = tracker.update(Detections(box, np.array([0.9]), np.array([-1])))
        if people:
            assert len(people) == 1
            tracked.append(foot_points(people[0].xyxy[None])[0])
    raw_spread = np.std(np.array(raw[10:]), axis=0)
    tracked_spread = np.std(np.array(tracked[10:]), axis=0)
    assert (tracked_spread < 0.8 * raw_spread).all(), (tracked_spread, raw_spread)


@pytest.mark.parametrize(
    ("speed_heights_per_s", "held_frames"),
    [(0.0, 8), (0.3, 4), (1.0, 1)],  # 5 fps: hold_s 1.5 s = 8 frames; hold_drift_m 0.5 m
)
def test_a_missed_person_is_held_while_they_cannot_have_moved_far(speed_heights_per_s, held_frames):
    """A person detected for two seconds, then missed: held (detected=False, same id) for the
    frames in which their speed over the last second times the time since cannot have carried
    them more than hold_drift_m (in person heights: the box is 180 px = 1.7 m): a still clerk for
    all of hold_s, a slow shuffle (0.51 m/s) for four frames (0.41 m; 0.51 at the fifth), a walker
    (1.7 m/s) for one (0.34 m)."""
    from configs.model import TrackerConfig
    from detectors.detections import Detections
    from detectors.tracking import PersonTracker

    fps, height = 5, 180.0
    tracker = PersonTracker(TrackerConfig(hold_s=1.5, hold_drift_m=0.5), analysis_fps=fps)
    step = speed_heights_per_s * height / fps
    ids = set()
    for i in range(10):
        box = np.array([[100 + i * step, 200, 160 + i * step, 200 + height]])
        people = tracker.update(Detections(box, np.array([0.9]), np.array([-1])))
        ids |= {p.track_id for p in people}
    assert len(ids) == 1
    held = 0
    for _ in range(12):
        people = tracker.update(Detections.empty())
        assert all(not p.detected and p.track_id in ids for p in people)
        held += len(people)
    assert held == held_frames


def test_the_offline_pipeline_imports_no_deep_learning_framework():
    """The CPU demo's environment has no PyTorch (pyproject's optional `yolo` group): the pipeline,
    its tracker and the offline detector must not need it. Checked in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys, run_pipeline, ingest.pipeline, detectors.tracking, detectors.nanodet, detectors.factory; "
        "print(sorted(m for m in ('torch', 'ultralytics', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_yolo_without_its_optional_group_is_a_clear_error(monkeypatch, tmp_path, capsys):
    """`backend: yolo` in an environment set up without the YOLO group: exit 2 naming the key and
    the command that installs it, before any camera or broker is touched."""
    import importlib.util

    import run_pipeline

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ultralytics" else real_find_spec(name, *a)
    )
    config = tmp_path / "hall.yaml"
    demo = (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8")
    assert "  backend: auto" in demo
    config.write_text(demo.replace("  backend: auto", "  backend: yolo", 1), encoding="utf-8")
    assert run_pipeline.main(["--config", str(config), "--no-kafka"]) == 2
    err = capsys.readouterr().err
    assert "detector.backend" in err and "HALLWATCH_EXTRAS=yolo make setup" in err
    with pytest.raises(RuntimeError, match="optional YOLO group"):
        build_detector(DetectorConfig(backend="yolo"))


def test_the_floor_homography_equals_opencvs_least_squares_fit():
    """domain.floor fits in numpy alone (the rule core stays free of cv2); it must map like
    OpenCV's findHomography (method 0: DLT, then Levenberg-Marquardt) that it replaced."""
    import cv2

    from domain.floor import homography_from_points, to_floor, to_image

    rng = np.random.default_rng(7)
    truth = np.array([[0.01, 0.002, -3.0], [0.0005, 0.03, -2.0], [0.00001, 0.0009, 1.0]])
    for n in (4, 6, 12):
        image = rng.uniform([50, 200], [700, 560], (n, 2))
        floor = cv2.perspectiveTransform(image.reshape(-1, 1, 2), truth).reshape(-1, 2) + rng.normal(0, 0.05, (n, 2))
        ours = homography_from_points(image.tolist(), floor.tolist())
        theirs, _ = cv2.findHomography(image, floor, method=0)
        probe = rng.uniform(image.min(axis=0), image.max(axis=0), (500, 2))  # the calibrated area
        expected = cv2.perspectiveTransform(probe.reshape(-1, 1, 2), theirs).reshape(-1, 2)
        assert np.abs(to_floor(ours, probe) - expected).max() < 1e-3  # metres
        assert np.abs(to_image(ours, to_floor(ours, probe)) - probe).max() < 1e-6


@needs_footage
@pytest.mark.skipif(not nanodet_path("int8").exists(), reason="run scripts/setup.sh to quantize NanoDet")
def test_the_quantized_model_finds_the_people_the_converted_one_finds():
    """The int8 option (calibrated on OpenCV's other sample images, not on this footage) finds
    the fp32 model's people box for box, at the frame's input, a larger input and in a region."""
    from benchmarks.bench_vision import match

    int8 = build_detector(DetectorConfig(precision="int8"))
    assert build_detector(DetectorConfig()).model_path == nanodet_path("fp32")  # the default
    assert int8.model_path == nanodet_path("int8")
    compared = matched = 0
    for size, region in [(416, None), (640, None), (416, (0, 100, 500, 450))]:
        fp32 = build_detector(DetectorConfig(precision="fp32", input_size=size))
        quantized = build_detector(DetectorConfig(precision="int8", input_size=size))
        for image in frames(6):
            (a,), (b,) = fp32.detect([image], [region]), quantized.detect([image], [region])
            expected, found = a.xyxy[a.scores >= 0.5], b.xyxy[b.scores >= 0.5]
            assert abs(len(found) - len(expected)) <= max(1, len(expected) // 5)
            compared += len(expected)
            matched += len(match(expected, found, 0.7))
    assert compared >= 20
    assert matched >= 0.9 * compared, (matched, compared)


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_the_bfloat16_model_finds_the_people_the_converted_one_finds_with_nearly_its_scores(monkeypatch):
    """bf16 (the default) runs the converted graph on OpenVINO, rounding weights and activations to
    bfloat16 where the CPU computes it natively: box for box the fp32 model's people, at the
    frame's input, a larger input and in a region, scores within 0.05. On a CPU without native
    bfloat16 it is the fp32 detector on onnxruntime."""
    from benchmarks.bench_vision import match
    from detectors import nanodet
    from detectors.runtimes import OnnxRuntimeRunner, OpenVinoRunner, native_bfloat16

    assert DetectorConfig().precision == "bf16"
    native = native_bfloat16()
    compared = matched = 0
    for size, region in [(416, None), (640, None), (416, (0, 100, 500, 450))]:
        fp32 = build_detector(DetectorConfig(precision="fp32", input_size=size))
        bf16 = build_detector(DetectorConfig(precision="bf16", input_size=size))
        assert bf16.model_path == fp32.model_path == nanodet_path("fp32")
        assert isinstance(bf16.runner, OpenVinoRunner if native else OnnxRuntimeRunner)
        assert bf16.runner.precision == ("bf16" if native else "fp32")
        for image in frames(6):
            (a,), (b,) = fp32.detect([image], [region]), bf16.detect([image], [region])
            expected = a.scores >= 0.5
            pairs = match(a.xyxy[expected], b.xyxy, 0.9)
            compared += int(expected.sum())
            matched += len(pairs)
            for i, j in pairs:
                assert abs(a.scores[expected][i] - b.scores[j]) < 0.05
            assert abs(int((b.scores >= 0.5).sum()) - int(expected.sum())) <= 1
    assert compared >= 20
    assert matched >= 0.95 * compared, (matched, compared)
    monkeypatch.setattr(nanodet, "native_bfloat16", lambda: False)  # a CPU without it
    elsewhere = build_detector(DetectorConfig(precision="bf16"))
    assert isinstance(elsewhere.runner, OnnxRuntimeRunner) and elsewhere.runner.precision == "fp32"


def test_constants_fold_into_values_and_the_graph_computes_the_same():
    """OpenVINO's ONNX reader rejects the converter's constant ScatterND: every node whose inputs
    are all constants becomes its value; the rest of the graph is untouched and computes the same."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from detectors.runtimes import fold_constants

    shape = numpy_helper.from_array(np.array([1, 6], np.int64), "shape")
    base = numpy_helper.from_array(np.arange(6, dtype=np.int64), "base")
    indices = numpy_helper.from_array(np.zeros((0, 1), np.int64), "indices")
    updates = numpy_helper.from_array(np.zeros((0,), np.int64), "updates")
    graph = helper.make_graph(
        [
            helper.make_node("ScatterND", ["base", "indices", "updates"], ["scattered"]),  # all constant
            helper.make_node("Add", ["scattered", "scattered"], ["doubled"]),  # constant, from a folded value
            helper.make_node("Cast", ["doubled"], ["doubled_float"], to=TensorProto.FLOAT),
            helper.make_node("Reshape", ["x", "shape"], ["flat"]),  # depends on the input: stays
            helper.make_node("Mul", ["flat", "doubled_float"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [shape, base, indices, updates],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    before = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    folded = fold_constants(onnx.ModelProto.FromString(model.SerializeToString()))
    assert [node.op_type for node in folded.graph.node] == ["Reshape", "Mul"]
    assert {i.name for i in folded.graph.initializer} == {"shape", "doubled_float"}  # the unused ones go
    after = ort.InferenceSession(folded.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_array_equal(after[0], x.reshape(1, 6) * 2 * np.arange(6))
    np.testing.assert_array_equal(before[0], after[0])


@needs_footage
@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_frames_of_several_cameras_in_one_call_get_the_boxes_each_gets_alone(precision):
    """Frames whose inputs have the same size go through the network as one batch (the graph's
    baked batch of 1 is opened at load); frames of other sizes in the same call get their own
    run. Each frame's boxes are the ones it gets alone, in the order given."""
    if not nanodet_path(precision).exists():
        pytest.skip("run scripts/setup.sh to convert (and quantize) NanoDet")
    detector = build_detector(DetectorConfig(precision=precision))
    images = frames(5)
    wide = cv2.resize(images[4], (640, 360))  # another camera's aspect: another input shape
    regions = [None, None, (0, 100, 500, 450), None, None, (0, 100, 500, 450)]
    batch = [images[0], images[1], images[2], wide, images[3], images[4]]
    runs = []
    original_run = detector.runner.run
    detector.runner.run = lambda batch: runs.append(batch.shape) or original_run(batch)
    together = detector.detect(batch, regions)
    assert sorted(shape[0] for shape in runs) == [1, 2, 3]  # three input sizes: three runs
    detector.runner.run = original_run
    alone = [detector.detect([image], [region])[0] for image, region in zip(batch, regions)]
    assert sum(len(d) for d in alone) >= 10
    for a, b in zip(together, alone):
        assert len(a) == len(b)
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-3)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)


@needs_footage
@pytest.mark.skipif(not nanodet_path().exists(), reason="run scripts/setup.sh to convert NanoDet")
def test_the_detectors_threads_sleep_between_operators_unless_told_to_busy_wait_and_find_the_same():
    """onnxruntime's threads spin by default; the pipeline's detector on it does not (the CPU goes to the
    cameras' decoding) unless ``detector.busy_wait`` — with the same boxes either way."""
    entry = "session.intra_op.allow_spinning"
    sleeping = build_detector(DetectorConfig(precision="fp32"))
    spinning = build_detector(DetectorConfig(precision="fp32", busy_wait=True))
    assert sleeping.runner.session.get_session_options().get_session_config_entry(entry) == "0"
    assert spinning.runner.session.get_session_options().get_session_config_entry(entry) == "1"
    found = 0
    for image in frames(3):
        (a,), (b,) = sleeping.detect([image]), spinning.detect([image])
        found += len(a)
        np.testing.assert_array_equal(a.xyxy, b.xyxy)
        np.testing.assert_array_equal(a.scores, b.scores)
    assert found >= 5


def test_the_benchmarks_miss_count_says_why_a_person_was_missed():
    """bench_vision --curve: a missed person with a box scored below the counting threshold is
    "scored lower"; one half under another annotated person is "covered"; recall by height counts
    only the people nobody covers."""
    from benchmarks.bench_vision import HEIGHTS, Misses
    from detectors.detections import Detections

    truth = np.array([[0, 0, 40, 100], [20, 0, 60, 100], [200, 0, 230, 60]], dtype=float)
    detections = Detections(
        np.array([[0, 0, 40, 100], [21, 1, 61, 101], [300, 0, 330, 60]], dtype=float),
        np.array([0.9, 0.2, 0.3]),
        np.full(3, -1),
    )
    misses = Misses(box_conf=0.4)
    misses.add(truth, detections, found={0})
    assert (misses.people, misses.missed, misses.unbelieved, misses.hidden) == (3, 2, 1, 1)
    band = {high: b for b, (_, high) in enumerate(HEIGHTS)}
    assert misses.by_height[band[70]].tolist() == [1, 0]  # the 60 px person, uncovered, missed
    assert misses.by_height.sum(axis=0).tolist() == [1, 0]  # the two covered people are not counted
