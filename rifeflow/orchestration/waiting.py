"""Waiting on work, always bounded, and stopping it: Dask does not enforce Prefect's task timeouts, so every
wait here has a limit, and every wait ends within a second of a stop being asked for (SIGTERM, SIGINT, a
cancel from the Prefect UI), cancelling what it was waiting for; a wait on a task that publishes a video
goes on at most PUBLISH_GRACE_S more, so that what it published is recorded.
"""
from __future__ import annotations

import contextlib
import contextvars
import queue
import threading
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from rifeflow.errors import RunTimeLimit, Stopped

# Set once a stop is asked for; every wait in this process looks at it at least once a second.
STOP = threading.Event()
_WHY: list[str] = []  # why the run stops, when it is not a signal or a cancel: said in each Stopped
POLL_S = 0.5
# How long a task that publishes a video (a short video's, a stitch) is let finish after a stop: long enough for
# a stitch or most of a short render, short enough that a stop still ends within 30 s.
PUBLISH_GRACE_S = 10.0


def stop_requested() -> bool:
    return STOP.is_set()


def clear_stop() -> None:
    """A new run starts with no stop asked for (flows refer to these functions, never to STOP itself: a flow is
    pickled with its tasks, and an Event is not picklable)."""
    _WHY.clear()
    STOP.clear()


def stop_all(why: str) -> None:
    """Stop every wait of this run, as a signal would, saying why in each video's error."""
    if not STOP.is_set():
        _WHY[:] = [why]
        STOP.set()


def _stopped() -> str:
    return f"stopped: {_WHY[0]}" if _WHY else "stopped"


class StalledError(TimeoutError):
    """No submitted task finished within the allowed time."""


def as_finished(futures: list, timeout_s: float, what: str, stop_grace_s: float = 0.0) -> Iterator[object]:
    """Each task's result as it finishes; a failed task raises its error here.

    If nothing finishes within `timeout_s`, every running task has run that long: fail. After a stop is
    asked for, the wait goes on `stop_grace_s` more (a task that publishes is let finish, so that what it
    published is recorded), then ends. Whatever ends the wait (an error, the timeout, a stop, the caller
    stopping), the futures not yet finished are cancelled, so no sibling keeps running unobserved.
    """
    finished: queue.Queue = queue.Queue()
    pending = set(futures)
    for future in futures:
        future.add_done_callback(finished.put)
    try:
        while pending:
            waited, stopping_since = 0.0, None
            while True:
                if STOP.is_set():
                    stopping_since = waited if stopping_since is None else stopping_since
                    if waited - stopping_since >= stop_grace_s:
                        raise Stopped(f"{what}: {_stopped()}; {len(pending)} tasks cancelled")
                try:
                    future = finished.get(timeout=min(POLL_S, timeout_s - waited))
                    break
                except queue.Empty:
                    waited += POLL_S
                    if waited >= timeout_s:
                        raise StalledError(f"{what}: nothing finished within {timeout_s:.0f} s; "
                                           f"{len(pending)} tasks cancelled") from None
            if future in pending:
                pending.discard(future)
                yield future.result()
    finally:
        cancel(pending)


def result_within(future, timeout_s: float, what: str, stop_grace_s: float = 0.0):
    """One task's result, waited for at most `timeout_s` (then it is cancelled and StalledError raised)."""
    return next(as_finished([future], timeout_s, what, stop_grace_s))


def cancel(futures) -> None:
    for future in futures:
        wrapped = getattr(future, "wrapped_future", None)
        if wrapped is not None:
            wrapped.cancel()


def run_bounded(items: Iterable[str], limit: int, work: Callable[[str], object]) -> list:
    """`work(item)` for every item, at most `limit` at once, each in a copy of this Prefect context.

    Items are taken one by one as places free up, so a huge listing never becomes a huge backlog of
    submitted work. Results come back in the items' order. When this thread is interrupted (a signal,
    Prefect's cancellation), no new item starts, the running ones are told to stop and are waited for
    (each ends within a second or two), and the interruption goes on up.
    """
    results: dict[int, object] = {}
    running: dict[Future, int] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, limit), thread_name_prefix="rifeflow-video")
    try:
        for index, item in enumerate(items):
            if len(running) >= limit:
                _collect(running, results, FIRST_COMPLETED)
            running[pool.submit(contextvars.copy_context().run, work, item)] = index
        _collect(running, results, ALL_COMPLETED)
    except BaseException:
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[i] for i in sorted(results)]


def _collect(running: dict[Future, int], results: dict[int, object], return_when: str) -> None:
    done, _ = wait(list(running), return_when=return_when)
    for future in done:
        results[running.pop(future)] = future.result()


class _Expired(TimeoutError):
    pass


@contextlib.contextmanager
def run_time_limit(seconds: float | None):
    """Interrupt the block after `seconds` (None: never) with RunTimeLimit, which Prefect records as the run's
    TimedOut state; the waits inside stop their work on the way out, as for any interruption."""
    from prefect.utilities.timeout import timeout

    if seconds is None:
        yield
        return
    try:
        with timeout(seconds=seconds, timeout_exc_type=_Expired):
            yield
    except _Expired:
        raise RunTimeLimit(f"RIFEFLOW_RUN_TIMEOUT_S={seconds:g} s reached") from None
