"""Where the converted NanoDet graph runs: onnxruntime (fp32 and the int8 model) or OpenVINO (bf16).

Both take one input batch (N x 3 x H x W, float32) and give the graph's outputs; the detector finds
each output by its shape, so their order does not matter.

bf16 halves the work of the network's convolutions on CPUs that compute in bfloat16 natively
(AVX512_BF16: AMD Zen 4 and later, Intel Cooper Lake; AMX: Intel Sapphire Rapids and later):
inputs and weights are rounded to bfloat16, every sum is kept in float32. onnxruntime has no such
CPU kernels; OpenVINO's CPU plugin does (it is OpenVINO's own default on those CPUs). On a CPU
without them bf16 would gain nothing: the detector runs fp32 on onnxruntime (detectors/nanodet.py).
"""

from __future__ import annotations

import io
import threading
from functools import cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from onnx import ModelProto


class Runner(Protocol):
    precision: str

    def run(self, batch: np.ndarray) -> list[np.ndarray]: ...


class OnnxRuntimeRunner:
    def __init__(self, graph: bytes, threads: int = 0, busy_wait: bool = False, precision: str = "fp32"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Between operators onnxruntime's threads spin by default: fastest for one stream alone, but
        # CPU taken from the cameras' decoding when many share the machine (detector.busy_wait).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if busy_wait else "0")
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name
        self._outputs = [o.name for o in self.session.get_outputs()]
        self.precision = precision

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        return list(self.session.run(self._outputs, {self._input: batch}))


@cache
def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (OpenVINO's CPU plugin says so)."""
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoRunner:
    """The graph on OpenVINO's CPU plugin, computing in bfloat16 (on a CPU that does so natively:
    ``native_bfloat16``; elsewhere the detector runs fp32 on onnxruntime instead)."""

    def __init__(self, graph: bytes, threads: int = 0):
        import onnx
        import openvino as ov

        self.precision = "bf16"
        config: dict[str, object] = {
            "INFERENCE_PRECISION_HINT": "bf16",
            "PERFORMANCE_HINT": "LATENCY",
            # The cameras' readers and recorders share the cores: the threads are not tied to any
            # (one detector alone runs the same either way: 17 ms a 416x320 frame on one thread).
            "ENABLE_CPU_PINNING": False,
        }
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        model = fold_constants(onnx.load_from_string(graph))
        core = ov.Core()
        self.compiled = core.compile_model(core.read_model(io.BytesIO(model.SerializeToString())), "CPU", config)
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # an infer request runs one call at a time

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            results = self._request.infer({0: batch})
            return [np.array(results[output]) for output in self.compiled.outputs]


def fold_constants(model: ModelProto) -> ModelProto:
    """The graph with every node whose inputs are all constants replaced by its value.

    The tfjs converter leaves a small constant computation (a ScatterND on empty indices feeding
    two reshapes' shapes) that OpenVINO's ONNX reader rejects; onnxruntime folds it when it loads.
    Evaluated with ONNX's reference implementation, node by node in the graph's order."""
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator

    graph = model.graph
    known = {initializer.name: numpy_helper.to_array(initializer) for initializer in graph.initializer}
    kept = []
    for node in graph.node:
        if all(name in known for name in node.input if name):
            values = ReferenceEvaluator(node).run(None, {name: known[name] for name in node.input if name})
            for name, value in zip(node.output, values):
                known[name] = np.asarray(value)
                graph.initializer.append(numpy_helper.from_array(known[name], name))
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input} | {output.name for output in graph.output}
    initializers = [initializer for initializer in graph.initializer if initializer.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    return model
