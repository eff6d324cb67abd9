"""The architecture as import contracts (pyproject.toml's [tool.importlinter]): a back-import or a
cycle fails the suite. The contracts are checked on this tree, and shown to bite on a copy of it
with one import that runs backwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("domain", "configs", "detectors", "streams", "ingest", "alerts")
MAX_LINES = 400


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def copy_tree(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


@pytest.mark.parametrize(
    "module, back_import, contract",
    [
        ("detectors/rules/engine.py", "import streams.wire", "The rule core is pure"),
        ("detectors/tracking.py", "import ingest.frames", "Processes on top"),
        ("alerts/notify.py", "import detectors.tracking", "The alerting service never imports"),
        ("domain/events.py", "import configs.model", "Processes on top"),
        # indirect: the rule core imports configs.model, which would reach cv2
        ("configs/model.py", "import cv2", "The rule core is pure"),
        ("domain/floor.py", "import cv2", "The shared types import nothing"),
        ("streams/spool.py", "import detectors.tracking", "Transport never imports"),
        ("ingest/evidence/clip_sources.py", "import ingest.analysis", "No import cycles"),
    ],
)
def test_a_back_import_breaks_a_contract(tmp_path, module, back_import, contract):
    tree = copy_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{back_import}  # a back-import\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Broken contracts" in result.stdout, result.stdout + result.stderr
    broken_section = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken_section, result.stdout


def test_modules_stay_small():
    """One concept per module: a file over the limit says why at its top (or is split)."""
    too_long = []
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            lines = file.read_text(encoding="utf-8").splitlines()
            if len(lines) > MAX_LINES and "longer than" not in "\n".join(lines[:15]):
                too_long.append(f"{file.relative_to(ROOT)}: {len(lines)} lines")
    assert too_long == []
