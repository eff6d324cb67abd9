"""The alerting service's API on a real port (uvicorn in a thread), for tests that speak HTTP."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import uvicorn

from alerts.api import create_app
from alerts.api.server import HEADER_TIMEOUT_S, config
from alerts.service import AlertService
from streams.broker import free_port
from tests.helpers import add_users

APPS: dict[str, object] = {}  # base url -> the app served there (tests reach its ApiContext)


def context_of(url: str):
    """The ``ApiContext`` of the app served at ``url``."""
    return APPS[url].state.ctx  # type: ignore[attr-defined]


@contextmanager
def serve(cfg, database_url: str, users: dict[str, tuple[str, str]], password: str):
    """Yields (base url, service); ``users``: name -> (role, region)."""
    service = AlertService.open(cfg, database_url)
    app = create_app(service)
    add_users(app, users, password)
    with serve_app(app) as url:
        APPS[url] = app
        try:
            yield url, service
        finally:
            APPS.pop(url, None)


@contextmanager
def serve_app(app, header_timeout_s: float = HEADER_TIMEOUT_S):
    """Yields the base url of ``app`` served on a free local port, as the service serves it."""
    port = free_port()
    server = uvicorn.Server(config(app, "127.0.0.1", port, header_timeout_s))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
