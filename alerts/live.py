"""A change feed the live stream watches: the consumer (and the API's own changes) bump it right
after a commit with the event ids they changed, so a console client is sent exactly those alerts
at once, read by id, instead of re-reading a window of recent changes. Other instances' commits,
which this process cannot see happen, are still picked up by a window read at least once a second.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

KEEP = 1024  # bumps remembered; a stream further behind re-reads the window instead


class Changes:
    def __init__(self) -> None:
        self.version = 0
        self._recent: deque[tuple[int, tuple[str, ...]]] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def bump(self, event_ids: Iterable[str] = ()) -> None:
        ids = tuple(event_ids)
        with self._lock:
            self.version += 1
            self._recent.append((self.version, ids))

    def since(self, version: int) -> tuple[int, list[str] | None]:
        """(the current version, the event ids changed after ``version``), or None for the ids when
        they are not all known (a bump without ids, or more bumps than remembered)."""
        with self._lock:
            current = self.version
            if version < 0 or not self._recent or self._recent[0][0] > version + 1:
                return current, None
            ids: list[str] = []
            for bumped, changed in self._recent:
                if bumped > version:
                    if not changed:
                        return current, None
                    ids.extend(changed)
            return current, list(dict.fromkeys(ids))
