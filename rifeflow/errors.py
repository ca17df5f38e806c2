"""Errors a user can act on: each names the file and the reason."""
from __future__ import annotations

import errno
import os


class RifeflowError(Exception):
    """Base of rifeflow's own errors; the CLI prints these without a traceback."""


class VideoError(RifeflowError, ValueError):
    """The input is not a video rifeflow can interpolate (a bad video: retrying cannot help)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self):  # errors travel between Dask workers and the flow by pickle
        return type(self), (self.path, self.reason)


# What the system says when the trouble is not the file: a full or failing disk, too many open files, memory.
SYSTEM_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ENOMEM, errno.EDQUOT,
                           errno.ENFILE, errno.EMFILE, errno.ETIMEDOUT, errno.EINTR, errno.EROFS})


def media_error(path: str, exc: BaseException, reason: str) -> Exception:
    """The error for a failure reading or writing media: a VideoError (the file is bad, permanently) unless
    the system said why (PyAV's av.error.OSError carries the errno), which stays an OSError to retry."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and code in SYSTEM_ERRNOS:
        return OSError(code, f"{os.strerror(code)}: {path}: {reason}")
    return VideoError(path, reason)


class SourceMissing(RifeflowError, FileNotFoundError):
    """A listed source that is not there when read: not a bad video (it may come back), not retried in this run."""


class InternalError(RifeflowError, RuntimeError):
    """rifeflow got its own sums wrong (a frame count that does not match its plan): the same run would fail
    the same way, so it is not retried in the run; the next run tries again."""


class Stopped(RifeflowError, InterruptedError):
    """The run was asked to stop (a signal, a cancel from the UI): the video's work was cancelled, what
    finished is kept for the next run."""


class RunTimeLimit(RifeflowError, TimeoutError):
    """A catalog run reached RIFEFLOW_RUN_TIMEOUT_S: it ends TimedOut, what finished is kept."""


class LeaseLost(RifeflowError, RuntimeError):
    """Another run holds the output now: this one stops without publishing or saving anything."""


class OptionError(RifeflowError, ValueError):
    """An option outside what rifeflow supports."""


class NothingRan(RifeflowError):
    """A run that could not start at all (storage unreachable, wrong credentials, no such bucket): exit 3."""


class CatalogUnreadable(NothingRan):
    """SOURCE_URI could not be listed: no video was tried."""


class ObjectNotFound(RifeflowError, FileNotFoundError):
    """A storage object, bucket or prefix is not there (permanent)."""


class AccessDenied(RifeflowError, PermissionError):
    """The store refused the credentials (permanent)."""


class StorageUnreachable(RifeflowError, ConnectionError):
    """The store did not answer (transient: retried with backoff)."""


class WeightsError(RuntimeError):
    """Weights missing, unreadable, or not the file they claim to be."""


# Stable names for what failed, so failures group without parsing messages (metrics `error_category`).
ERROR_CATEGORIES = ("bad_video", "bad_option", "refused_key", "missing_object", "access_denied", "storage",
                    "scratch_full", "weights", "timeout", "worker_lost", "stopped", "internal")


def error_category(error: BaseException | None) -> str:
    """The category of an error a video failed with (a refused key is categorised where it is refused)."""
    if isinstance(error, Stopped):
        return "stopped"
    if isinstance(error, OSError) and getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return "scratch_full"
    for kind, category in ((VideoError, "bad_video"), (OptionError, "bad_option"), (WeightsError, "weights"),
                           (FileNotFoundError, "missing_object"), (PermissionError, "access_denied"),
                           (TimeoutError, "timeout"), (OSError, "storage")):
        if isinstance(error, kind):
            return category
    if type(error).__name__ == "KilledWorker":  # distributed's, named here so the core needs no Dask import
        return "worker_lost"
    return "internal"


def error_kind(error: BaseException | None) -> str:
    """permanent: the source or an option is bad, and running again unchanged cannot help; else transient."""
    return "permanent" if isinstance(error, (VideoError, OptionError)) else "transient"


def retryable(error: BaseException | None) -> bool:
    """Storage and worker failures are worth a retry; a bad video, bad option or missing object is not."""
    return error_kind(error) == "transient" and not isinstance(
        error, (ValueError, FileNotFoundError, PermissionError, WeightsError, InternalError, LeaseLost, Stopped))
