"""Storage faults in one vocabulary: errors become Python's own (FileNotFoundError, PermissionError,
ConnectionError) naming the URI, and an unreachable store is retried with backoff and counted.
"""
from __future__ import annotations

import contextlib
import contextvars
import errno
import logging
import random
import threading
import time
from typing import Callable, Iterator, TypeVar

from rifeflow.errors import AccessDenied, ObjectNotFound, StorageUnreachable
from rifeflow.storage import secrets

log = logging.getLogger(__name__)
T = TypeVar("T")


# botocore's and aiohttp's transient failures, by the words in their type names: the ones s3fs's own
# retry loop (switched off, see s3_client) would have retried, and the connection errors.
TRANSIENT_NAMES = ("Connect", "Disconnect", "Timeout", "ClientError", "Endpoint", "Payload", "IncompleteRead",
                   "ResponseParser")
RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0, 16.0)  # an endpoint that is away for half a minute is waited for
REMOTE_TRANSIENT = frozenset({errno.EBUSY, errno.EREMOTEIO, errno.EIO, errno.EAGAIN, errno.ETIMEDOUT,
                              errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE})
_RETRIES: contextvars.ContextVar[list | None] = contextvars.ContextVar("rifeflow_storage_retries", default=None)
_GIVEN_UP = threading.Event()  # set when this process's run has judged its store out of reach: no more backoff


@contextlib.contextmanager
def counting_retries() -> Iterator[list]:
    """Count the storage retries made in this context (threads started with a copy of it included): box[0]."""
    box = [0]
    token = _RETRIES.set(box)
    try:
        yield box
    finally:
        _RETRIES.reset(token)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return secrets.redact(text[:300])


@contextlib.contextmanager
def translate_errors(uri: str) -> Iterator[None]:
    """Storage errors as Python's own, each one line naming the URI: FileNotFoundError and
    PermissionError (permanent), ConnectionError (transient), local OSErrors as they are."""
    shown = secrets.redact(uri)
    try:
        yield
    except FileExistsError:
        raise
    except FileNotFoundError as exc:
        raise ObjectNotFound(f"{shown}: not found ({_short(exc)})") from None
    except PermissionError as exc:
        raise AccessDenied(f"{shown}: access denied ({_short(exc)}); check the credentials and the "
                              "bucket's policy") from None
    except IsADirectoryError:
        raise
    except OSError as exc:
        if exc.errno in REMOTE_TRANSIENT and "://" in uri and not uri.startswith("file://"):
            # s3fs's words for throttling (SlowDown, 503: EBUSY), server errors (500: EREMOTEIO) and
            # conflicts (409: EIO): the store will answer again
            raise StorageUnreachable(f"{shown}: storage busy or failing ({_short(exc)})") from None
        if exc.errno is not None:  # a local condition (disk full, ...): keep its errno
            raise OSError(exc.errno, f"{exc.strerror} ({secrets.redact(str(exc.filename or shown))})") from None
        raise StorageUnreachable(f"{shown}: storage unreachable ({_short(exc)})") from None
    except Exception as exc:  # botocore / aiohttp errors surface as their own types
        name = type(exc).__name__
        if "NoSuchKey" in name or "NoSuchBucket" in name:
            raise ObjectNotFound(f"{shown}: not found ({_short(exc)})") from None
        if any(w in name or w in str(exc) for w in ("AccessDenied", "Forbidden", "InvalidAccessKeyId",
                                                   "SignatureDoesNotMatch")):
            raise AccessDenied(f"{shown}: access denied ({_short(exc)})") from None
        if any(word in name for word in TRANSIENT_NAMES):
            raise StorageUnreachable(f"{shown}: storage unreachable ({_short(exc)})") from None
        raise


@contextlib.contextmanager
def reading_source(uri: str) -> Iterator[None]:
    """A source that is not there after the listing fails its video for this run (it may come back: the next run
    tries it again), without retries and without counting as a bad video."""
    from rifeflow.errors import SourceMissing

    try:
        yield
    except FileNotFoundError:
        raise SourceMissing(f"{secrets.redact(uri)}: not found: deleted or moved after the listing") from None


def give_up_retrying() -> None:
    """From now on every storage call of this process is tried once: its run has already waited out the backoff
    and found the store out of reach, and what is left to do (save a failed manifest, release a lease, write
    the metrics) should end in one timeout each, not in the backoff again."""
    _GIVEN_UP.set()


def retry_again() -> None:
    """A new run: storage calls are retried with backoff again."""
    _GIVEN_UP.clear()


def retry_delays() -> tuple[float, ...]:
    """The backoff before each retry; RIFEFLOW_STORAGE_RETRIES caps how many (0: fail at once)."""
    from rifeflow.settings import settings

    return () if _GIVEN_UP.is_set() else RETRY_DELAYS_S[:settings().storage_retries]


def call(uri: str, operation: Callable[[], T]) -> T:
    """`operation()` with errors translated; an unreachable store is retried with backoff, and counted."""
    delays = retry_delays()
    for attempt, delay in enumerate((*delays, None)):
        try:
            with translate_errors(uri):
                return operation()
        except ConnectionError as exc:
            if delay is None:
                raise
            box = _RETRIES.get()
            if box is not None:
                box[0] += 1
            wait = delay * random.uniform(0.5, 1.5)  # jitter: many workers throttled at once do not return at once
            log.warning("%s; retry %d of %d in %.1f s", exc, attempt + 1, len(delays), wait)
            time.sleep(wait)
    raise AssertionError("unreachable")
