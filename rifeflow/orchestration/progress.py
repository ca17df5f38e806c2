"""The catalog run's progress as a Prefect progress artifact: a bar on the flow run's page in the UI."""
from __future__ import annotations

import logging
import threading

from prefect.artifacts import create_progress_artifact, update_progress_artifact

log = logging.getLogger(__name__)


class RunProgress:
    """Videos finished out of the run's total, updated from the threads that run the videos.

    The UI's bar moves in whole percents (one API call each, not one per video); an API that
    does not answer costs the bar, never the run.
    """

    def __init__(self, total: int):
        self.total, self.finished, self._shown = total, 0, -1
        self._lock = threading.Lock()
        self._id = None
        try:
            self._id = create_progress_artifact(0.0 if total else 100.0, key="catalog-progress",
                                                description=self._description())
        except Exception as exc:  # noqa: BLE001  the artifact is a view; the run goes on without it
            log.warning("progress artifact not created: %s", exc)

    def _description(self) -> str:
        return f"{self.finished} of {self.total} videos finished"

    def advance(self) -> None:
        with self._lock:
            self.finished += 1
            percent = 100 * self.finished // max(1, self.total)
            if self._id is None or percent == self._shown:
                return
            self._shown = percent
            try:
                update_progress_artifact(self._id, float(percent), description=self._description())
            except Exception as exc:  # noqa: BLE001
                log.warning("progress artifact not updated: %s", exc)
