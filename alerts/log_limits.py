"""Repeated log lines, rate-limited: a flood of the same error (a full file table makes asyncio log
an accept() traceback for every connection attempt: 73 MB in 15 s once) must not fill the disk
or bury the line that explains it. Each message template is logged at most ``per_minute`` times a
minute; the next one after a quiet spell says how many were suppressed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RepeatLimit(logging.Filter):
    def __init__(self, per_minute: int = 10, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.per_minute, self.clock = per_minute, clock
        self._seen: dict[tuple[str, int, str], tuple[float, int, int]] = {}  # key -> (window start, logged, dropped)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            start, logged, dropped = self._seen.get(key, (now, 0, 0))
            if now - start >= 60:
                if dropped:
                    record.msg = f"{record.msg} [{dropped} similar lines suppressed in the last minute]"
                start, logged, dropped = now, 0, 0
            if logged >= self.per_minute:
                self._seen[key] = (start, logged, dropped + 1)
                return False
            self._seen[key] = (start, logged + 1, dropped)
            if len(self._seen) > 10_000:  # templates are few; ids in messages must not grow this
                self._seen.clear()
            return True


def limit_repeats(per_minute: int = 10) -> RepeatLimit:
    """Installs the limit on every handler of the root logger (after ``logging.basicConfig``)."""
    limit = RepeatLimit(per_minute)
    for handler in logging.getLogger().handlers:
        handler.addFilter(limit)
    return limit
