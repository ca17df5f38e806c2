"""Terminal progress for `rifeflow interpolate`: a rich bar on stderr, silent off a terminal."""
from __future__ import annotations

import time


class TerminalProgress:
    """Called as progress(done, total) with output frames; shows frames, rate and time left."""

    def __init__(self, label: str, console=None):
        from rich.console import Console

        self.label = label
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self._bar = None
        self._task = None
        self._started = time.perf_counter()

    def _start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("frames {task.fields[fps]:5.1f} fps"), TimeRemainingColumn(),
                             console=self.console)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=total, fps=0.0)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            self._start(total)
        fps = done / max(time.perf_counter() - self._started, 1e-9)
        self._bar.update(self._task, completed=done, total=total, fps=fps)
        if done >= total:
            self._bar.stop()
