"""SIGTERM and SIGINT for the `rifeflow` command: the first one stops the run in order (no new work, running
chunks cancelled, the Prefect run marked, leases released, nothing partial published) and the command exits
143 or 130; should that take longer than STOP_WITHIN_S, or a second signal come, what is left of the
process tree is killed and the command exits with the same code.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

STOP_WITHIN_S = 25.0


class Terminated(BaseException):
    """SIGTERM: the run stops as for Ctrl-C (KeyboardInterrupt), and the command exits 143."""


def install() -> None:
    """Handle SIGTERM and SIGINT in the main thread (Prefect's flow engine puts its own SIGTERM bridge over
    this one while a flow runs, and restores it after)."""
    signal.signal(signal.SIGTERM, _first)
    signal.signal(signal.SIGINT, _first)


def _first(signum: int, frame) -> None:
    signal.signal(signal.SIGTERM, _again)
    signal.signal(signal.SIGINT, _again)
    threading.Thread(target=_deadline, args=(128 + signum,), name="rifeflow-stop", daemon=True).start()
    print(f"rifeflow: stopping ({signal.Signals(signum).name}): no new work; cancelling what runs", file=sys.stderr)
    if signum == signal.SIGTERM:
        raise Terminated(signum)
    raise KeyboardInterrupt


def _again(signum: int, frame) -> None:
    print("rifeflow: stopping at once", file=sys.stderr)
    _kill_everything(128 + signum)


def _deadline(code: int) -> None:
    threading.Event().wait(STOP_WITHIN_S)
    print(f"rifeflow: still stopping after {STOP_WITHIN_S:.0f} s: ending at once", file=sys.stderr)
    _kill_everything(code)


def _kill_everything(code: int) -> None:
    """SIGKILL every process this one started (the Dask workers, Prefect's server), then exit."""
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    sys.stderr.flush()
    os._exit(code)


def _descendants(root: int) -> list[int]:
    """Every process under `root`, from /proc (Linux), deepest first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found[::-1]
