"""The HTTP server of the alerting service: uvicorn with bounds a port open to a hall's network
needs. A connection must finish its request headers within ``header_timeout_s`` (a slow-loris
client holding connections open was the way to exhaust the service's file descriptors), at most
``max_connections`` are served at once (more get 503 at once), headers are capped at 16 KiB, and
an idle keep-alive connection is closed after 5 s."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("hallwatch.alerts")
HEADER_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 512
MAX_HEADER_BYTES = 16 * 1024


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that has not completed a request's headers
    within ``header_timeout_s`` of connecting or of starting to send them."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if not self._in_request():
            self._arm()
        super().data_received(data)
        if self._in_request():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self._in_request() and not self.transport.is_closing():
            self.transport.close()


def config(app: Any, host: str, port: int, header_timeout_s: float = HEADER_TIMEOUT_S) -> uvicorn.Config:
    protocol = type("Protocol", (HeaderTimeoutH11,), {"header_timeout_s": header_timeout_s})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=protocol,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )


def warn_if_plain_http(host: str) -> None:
    """A console listening beyond this machine over plain HTTP would send passwords in clear."""
    if host in ("127.0.0.1", "::1", "localhost"):
        return
    log.warning("!" * 78)
    log.warning(
        "The console listens on %s over plain HTTP: passwords and session cookies would cross the "
        "network in clear. Serve it through an HTTPS reverse proxy (X-Forwarded-Proto: https); "
        "session cookies are then marked Secure (alerts.secure_cookies: auto).",
        host,
    )
    log.warning("!" * 78)
