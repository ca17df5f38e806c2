"""Overlap I/O with compute: a reader thread ahead of the consumer, a writer thread behind it."""
from __future__ import annotations

import contextvars
import queue
import threading
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


def prefetch(items: Iterable[T], depth: int = 8) -> Iterator[T]:
    """Iterate `items` in a background thread, at most `depth` ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        """Queue `item` unless the consumer has gone (then never block: the thread must end)."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        source = iter(items)
        try:
            for item in source:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_Failure(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator's own cleanup (closing its container) runs in this thread
                close()

    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,), name="rifeflow-prefetch",
                              daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()  # it ends within one item: every queue operation above gives up once `stop` is set


class BackgroundSink:
    """Call `consume(item)` for each `put` item in a background thread, in order."""

    def __init__(self, consume: Callable[[T], None], depth: int = 8):
        self.consume = consume
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,), name="rifeflow-sink",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.q.get()
            if item is _END:
                return
            if self.error is None and not self.cancelled:
                try:
                    self.consume(item)
                except BaseException as exc:
                    self.error = exc

    def put(self, item: T) -> None:
        if self.error is not None:
            raise self.error
        self.q.put(item)

    def close(self) -> None:
        """Wait until every item is consumed; re-raise the first error."""
        self.q.put(_END)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Drop what is queued and wait for the thread to end: nothing is consumed after this returns."""
        self.cancelled = True
        self.q.put(_END)
        self.thread.join()
