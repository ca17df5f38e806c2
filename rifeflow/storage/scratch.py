"""A worker's own scratch copies of source videos: fetched once per video, reused by its later stages.

Nothing here is shared between processes: each worker process keeps its copies under its own
folder of its TMPDIR, so workers on other machines (or beside each other) never rely on a
common disk. A stage on another worker simply fetches its own copy.
"""
from __future__ import annotations

import contextlib
import errno
import os
import socket
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from rifeflow.manifests.planning import content_key
from rifeflow.manifests.records import SourceStat
from rifeflow.storage import faults, store
from rifeflow.errors import RifeflowError

KEEP_COPIES = 8  # a worker rarely has more videos than this between their prepare and their stitch
_LOCK = threading.Lock()


def _root() -> Path:
    return Path(tempfile.gettempdir()) / "rifeflow-scratch"


def _own_dir() -> Path:
    return _root() / str(os.getpid())


def _copy_path(uri: str, stat: SourceStat) -> Path:
    ext = os.path.splitext(uri)[1][:16]
    return _own_dir() / content_key("source", uri, stat.size, stat.version) / f"source{ext}"


@contextlib.contextmanager
def source_copy(uri: str, stat: SourceStat) -> Iterator[str]:
    """A local path with the source's bytes: the file itself when local, else this worker's copy."""
    if store.is_local(uri):
        with store.local_copy(uri) as path:
            yield path
        return
    path = _copy_path(uri, stat)
    with _LOCK:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            with faults.reading_source(uri):
                store.download(uri, str(partial))
            os.replace(partial, path)
        os.utime(path.parent)
        _prune(keep=path.parent)
    yield str(path)


class ScratchFull(RifeflowError, OSError):
    """A worker's scratch disk filled up: this stage published nothing; another worker may have room."""

    def __reduce__(self):
        return type(self), (self.errno, self.strerror)

    def __str__(self) -> str:
        return self.strerror


@contextlib.contextmanager
def clear_when_full(what: str) -> Iterator[None]:
    """Say which work, which worker and which disk when the scratch disk fills (not just "Errno 28")."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC or isinstance(exc, ScratchFull):
            raise
        raise ScratchFull(errno.ENOSPC, f"{what}: no space left on the scratch disk of worker "
                                        f"{socket.gethostname()} (pid {os.getpid()}, TMPDIR "
                                        f"{tempfile.gettempdir()}); nothing was published. Free space there or "
                                        "point the worker's TMPDIR at a larger disk") from None


def release(uri: str, stat: SourceStat) -> None:
    """Drop this worker's copy of a source once its video is finished."""
    with _LOCK:
        shutil.rmtree(_copy_path(uri, stat).parent, ignore_errors=True)


def _prune(keep: Path) -> None:
    """Keep the newest KEEP_COPIES copies of this process; remove folders of processes that are gone."""
    own = _own_dir()
    copies = sorted((p for p in own.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[KEEP_COPIES:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for other in _root().iterdir():
        if other.name.isdigit() and other != own and not alive(int(other.name)):
            shutil.rmtree(other, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
