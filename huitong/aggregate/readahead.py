"""Read the next batches of a source while the current one is checked (预读).

A load has two halves that use different resources: reading (decoding GBK, Arrow's CSV parser) and
checking (Arrow kernels, DuckDB). Both release the GIL for most of their work, so on two cores a
reader thread a few batches ahead lets them overlap. The queue is bounded, so memory grows by at
most ``depth`` batches; an error in the reader is raised in the caller at the batch it stopped at,
and a caller that stops early (a failed check) stops the reader too, without waiting for a slow
source's next batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
JOIN_WAIT = 0.5  # seconds a stopping caller waits for the reader before going on


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def read_ahead(batches: Iterable[T], depth: int = 2) -> Iterator[T]:
    """``batches`` in order, read by a thread up to ``depth`` batches ahead of the caller."""
    slots: queue.Queue = queue.Queue(maxsize=max(depth, 1))
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the caller, which raises it
            put(_Failed(exc))
            return
        finally:  # the source is closed by the thread that reads it, whenever that stops
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        put(_DONE)

    thread = threading.Thread(target=reader, name="huitong-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        # A reader blocked inside a slow source (an API) stops at its next batch; the caller's
        # error is not held back until then.
        thread.join(JOIN_WAIT)
