"""Helpers shared by the benchmarks (not imported by the product)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HALLWATCH_SHARED_DATA", ROOT.parent / "shared" / "data"))
VTEST = ROOT / "data" / "vtest.avi"


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        sys.exit(f"{path} not found: this benchmark needs ../shared/data (or HALLWATCH_SHARED_DATA)")
    return path
