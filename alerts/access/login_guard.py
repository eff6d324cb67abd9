"""Brute force and memory exhaustion at the login: failed attempts are limited per user name and
per client address (429 with Retry-After, then a lockout), and password hashing — argon2 takes
64 MiB and tens of milliseconds each — runs at most ``concurrent`` at a time."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class TooManyAttempts(Exception):
    def __init__(self, retry_after_s: int, why: str):
        super().__init__(why)
        self.retry_after_s = retry_after_s


class LoginGuard:
    def __init__(
        self,
        per_user: int = 5,
        per_client: int = 20,
        window_s: float = 900,
        lockout_s: float = 900,
        concurrent: int = 2,
        clock=time.monotonic,
    ):
        self.per_user, self.per_client = per_user, per_client
        self.window_s, self.lockout_s = window_s, lockout_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.hashing = threading.BoundedSemaphore(concurrent)

    def attempt(self, username: str, client: str) -> None:
        """Count a login attempt before its password is checked (so a burst of concurrent attempts
        is counted too); raises TooManyAttempts while the user or the client is locked out."""
        now = self.clock()
        keys = ((f"user:{username}", self.per_user), (f"client:{client}", self.per_client))
        with self._lock:
            for key, limit in keys:
                until = self._locked_until.get(key, 0)
                if until > now:
                    raise TooManyAttempts(int(until - now) + 1, "too many failed logins; try again later")
                attempts = self._failures[key]
                while attempts and attempts[0] < now - self.window_s:
                    attempts.popleft()
                if len(attempts) >= limit:
                    self._locked_until[key] = now + self.lockout_s
                    attempts.clear()
                    raise TooManyAttempts(int(self.lockout_s), "too many failed logins; try again later")
            for key, _ in keys:
                self._failures[key].append(now)
            if len(self._failures) > 100_000:  # a flood of names: forget the oldest counts, keep the locks
                for key in list(self._failures)[:50_000]:
                    del self._failures[key]

    def succeeded(self, username: str, client: str) -> None:
        """A right password: its attempt does not count against the user or the client."""
        with self._lock:
            self._failures.pop(f"user:{username}", None)
            attempts = self._failures.get(f"client:{client}")
            if attempts:
                attempts.pop()
