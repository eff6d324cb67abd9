"""Drive a camera's rules with hand-made observations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from configs.model import HallwatchConfig
from detectors.rules.engine import CameraRules, Observation
from domain.events import Absence
from streams.wire import encode
from tests.helpers import T0


def run_rules(
    cfg: HallwatchConfig,
    observations: Iterable[Observation],
    absences: Callable[[], list[Absence]] = list,
    finish: bool = True,
) -> list[dict]:
    """The violations, in their wire form (what the contract says and consumers read)."""
    rules = CameraRules(cfg, cfg.cameras[0], absences, clock=lambda: T0)
    out: list[dict] = []
    for observation in observations:
        out.extend(map(encode, rules.step(observation)))
    if finish:
        out.extend(map(encode, rules.finish()))
    return out


def frames(start_s: float, end_s: float, fps: float = 5.0) -> list[float]:
    """Frame times from start (inclusive) to end (exclusive)."""
    n = int(round((end_s - start_s) * fps))
    return [round(start_s + i / fps, 6) for i in range(n)]


def iso(t: datetime) -> str:
    return t.isoformat()
