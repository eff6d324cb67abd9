"""A change counter the live stream watches: the consumer (and the API's own changes) bump it right
after a commit, so a console client is sent the alert at once instead of at the next poll of the
database. Other instances' commits, which this process cannot see happen, are still picked up by
a database read at least once a second."""
from __future__ import annotations

import threading


class Changes:
    def __init__(self) -> None:
        self.version = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.version += 1
