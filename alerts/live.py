"""What the service knows right now: latest heartbeat per camera, violations by event id."""
from __future__ import annotations

import threading
from collections import Counter

from alerts.consumer import Received

STATUS_ORDER = {"open": 0, "closed": 1}


class LiveState:
    """In-memory view fed by the consumer; the merge rule for violation messages is the one every
    consumer uses: per event_id, a closed message wins over an open one, whatever the arrival order."""

    def __init__(self) -> None:
        self.cameras: dict[str, dict] = {}
        self.violations: dict[str, dict] = {}
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle(self, batch: list[Received]) -> None:
        with self._lock:
            for message in batch:
                value = message.value
                if value["schema"].startswith("hallwatch.heartbeat"):
                    self.cameras[value["camera_id"]] = value
                    self.counts["heartbeats"] += 1
                else:
                    current = self.violations.get(value["event_id"])
                    if current is None or STATUS_ORDER[value["status"]] >= STATUS_ORDER[current["status"]]:
                        self.violations[value["event_id"]] = value
                    self.counts["violations"] += 1
