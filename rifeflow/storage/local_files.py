"""Writing local files so that no reader ever sees half of one: a hidden partial sibling named after its
writer, then a rename (or, for an exclusive create, a hard link, or where a disk has none, an exclusive open).
"""
from __future__ import annotations

import contextlib
import errno
import os
import socket
import uuid

from rifeflow.manifests.planning import bounded_name

PARTIAL_SUFFIX = ".partial"
NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS})


def partial_path(path: str) -> str:
    """A hidden sibling to write before the rename: readers skip names starting with a dot. It names
    its writer (host, pid), so a later run can tell a dead writer's leftover from a live one's."""
    directory, name = os.path.split(path)
    host = socket.gethostname().replace(".", "-")[:63]
    return os.path.join(directory, bounded_name(name, f".{host}.{os.getpid()}.{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}"))


def partial_writer(name: str) -> tuple[str, int] | None:
    """(host, pid) that writes a partial file of this name, or None if it is not one."""
    if not (name.startswith(".") and name.endswith(PARTIAL_SUFFIX)):
        return None
    parts = name[:-len(PARTIAL_SUFFIX)].rsplit(".", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def write_local(path: str, data: bytes, exclusive: bool = False) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = partial_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        if not exclusive:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # fails with FileExistsError (EEXIST, re-raised below) if anyone created it first
        except OSError as exc:  # no hard links here (exFAT, SMB, gcsfuse): create the name exclusively instead
            if exc.errno not in NO_HARD_LINKS:
                raise
            with open(path, "xb") as fh:  # readers of a half-written one treat it as unreadable and look again
                fh.write(data)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
