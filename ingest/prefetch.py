"""Decode ahead in a background thread, so decoding frame N+1 overlaps the analysis of frame N.

A live camera must be read as fast as it sends: a reader that waits for the analysis leaves the
stream in the network's buffers, the camera (or its server) drops what does not fit, and what is
read late is stamped with the time it was read. With ``newest`` the reader never waits: when the
analysis is behind, the oldest frame waiting is dropped for the new one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


def prefetch(
    items: Iterator[T], depth: int = 2, newest: bool = False, dropped: Callable[[T], None] | None = None
) -> Iterator[T]:
    """Yield ``items`` in order, produced up to ``depth`` ahead by a reader thread. Exceptions of
    the reader are re-raised in the consumer, where the watchdog handles them. ``newest``: the
    reader never waits for the consumer; each item dropped for a newer one goes to ``dropped``."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: T) -> bool:
        """Queue ``item``: wait for room (``newest``: make room, dropping the oldest); False once stopped."""
        while not stop.is_set():
            try:
                if newest:
                    buffer.put_nowait(item)
                else:
                    buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                if newest:
                    try:
                        old = buffer.get_nowait()
                    except queue.Empty:
                        continue
                    if dropped is not None:
                        dropped(old)
        return False

    def reader() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            buffer.put(_END)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            buffer.put(error)

    thread = threading.Thread(target=reader, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        close = getattr(items, "close", None)
        thread.join(timeout=5)
        if close is not None and not thread.is_alive():
            close()
