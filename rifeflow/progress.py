"""Terminal progress: frames done / total, rate, ETA; silent when stderr is not a terminal."""
from __future__ import annotations

import sys
import time


class TerminalProgress:
    def __init__(self, label: str, stream=None, min_interval: float = 0.2):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.perf_counter()
        self.last = 0.0
        self.min_interval = min_interval

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        self.stream.write(
            f"\r{self.label}: {done}/{total} frames  {rate:5.1f} fps  ETA {int(eta // 60)}:{int(eta % 60):02d} "
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
