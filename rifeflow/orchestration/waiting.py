"""Waiting on task futures with an inactivity timeout (Dask does not enforce Prefect's task timeouts)."""
from __future__ import annotations

import queue
from typing import Iterator


class StalledError(TimeoutError):
    """No submitted task finished within the allowed time."""


def as_finished(futures: list, timeout_s: float, what: str) -> Iterator[object]:
    """Each task's result as it finishes; a failed task raises its error here.

    If nothing finishes within `timeout_s`, every running task has run that long: fail.
    Whatever ends the wait (an error, the timeout, the caller stopping), the futures not yet
    finished are cancelled, so no sibling keeps running unobserved.
    """
    finished: queue.Queue = queue.Queue()
    pending = set(futures)
    for future in futures:
        future.add_done_callback(finished.put)
    try:
        while pending:
            try:
                future = finished.get(timeout=timeout_s)
            except queue.Empty:
                raise StalledError(f"{what}: nothing finished within {timeout_s:.0f} s; "
                                   f"{len(pending)} tasks cancelled") from None
            if future in pending:
                pending.discard(future)
                yield future.result()
    finally:
        cancel(pending)


def cancel(futures) -> None:
    for future in futures:
        wrapped = getattr(future, "wrapped_future", None)
        if wrapped is not None:
            wrapped.cancel()
