"""Errors a user can act on: each names the file and the reason."""
from __future__ import annotations


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
                    "weights", "timeout", "worker_lost", "internal")


def error_category(error: BaseException | None) -> str:
    """The category of an error a video failed with (a refused key is categorised where it is refused)."""
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
        error, (ValueError, FileNotFoundError, PermissionError, WeightsError))
