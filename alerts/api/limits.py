"""What the API takes on at once: request bodies of at most ``alerts.max_body_kb`` (413 above it),
whether the client announces the size or streams it, and a bounded number of expensive requests
of each kind (reports, exports: 429 with Retry-After above it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import HTTPException


class Slots:
    """At most ``size`` requests of one expensive kind at a time; the next one is told to come
    back (429) instead of queueing behind them, and ``on_refused`` counts it."""

    def __init__(self, size: int, what: str, on_refused: Callable[[], None] = lambda: None):
        self.size, self.what, self.on_refused = size, what, on_refused
        self._free = threading.BoundedSemaphore(size)

    @contextmanager
    def take(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            self.on_refused()
            raise HTTPException(
                429, f"{self.what}：同时处理已达上限（{self.size}），请稍后重试", headers={"Retry-After": "5"}
            )
        try:
            yield
        finally:
            self._free.release()


class BodyLimit:
    """Pure ASGI middleware: rejects an announced Content-Length above the limit before reading,
    and stops a chunked body as soon as it passes the limit."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self._refuse(send)
        seen = 0
        refused = False

        async def limited_receive():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}  # the app stops reading; its answer is dropped
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send) -> None:
        body = json.dumps({"detail": f"request body larger than {self.max_bytes // 1024} KiB"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
