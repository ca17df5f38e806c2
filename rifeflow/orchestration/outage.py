"""A run whose store stops answering ends early, instead of failing its videos one after another.

A video fails with StorageUnreachable only once a storage call in it has waited out its backoff and its
task its retries: the store has not answered for a while (minutes, at the default settings). Every other
video would wait as long and fail the same way. So the first such failure ends the run: videos not yet
started are not started (each recorded as failed, with the reason), those in flight are stopped as a signal
stops them (what they finished is kept), and the storage calls still to make (a failed video's manifest, a
lease release, the metrics) are tried once each. The next run resumes all of it.
"""
from __future__ import annotations

import threading

from rifeflow.errors import StorageUnreachable
from rifeflow.orchestration.waiting import stop_all
from rifeflow.storage.faults import give_up_retrying


class StoreOutage:
    """Trips on the first video that failed because its store could not be reached; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: str | None = None

    def note(self, error: BaseException | None) -> bool:
        """Trip on `error` if it is the store not answering; True if this call tripped it."""
        if not isinstance(error, StorageUnreachable):
            return False
        with self._lock:
            if self.reason is not None:
                return False
            self.reason = str(error)
        give_up_retrying()
        stop_all("the run's store stopped answering")
        return True
