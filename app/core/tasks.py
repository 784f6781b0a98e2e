"""Progress reporting and cancellation for long work, independent of any GUI toolkit."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# progress(done, total, message): called from the worker thread doing the work.
ProgressCallback = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised inside long work when the user asked it to stop."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled


def no_progress(_done: int, _total: int, _message: str) -> None:
    """The progress callback for callers that do not show progress."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around work that builds many plain dicts.

    Recordings are big trees of dicts and lists with no reference cycles: a collection in the
    middle of parsing or seeking finds nothing to free but can take a hundred milliseconds
    (a third of an import, most of a slow seek).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
