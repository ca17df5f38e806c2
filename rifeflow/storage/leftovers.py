"""What killed runs leave behind under DEST, swept at the start of the next run.

On a filesystem a killed writer leaves its hidden `.NAME.HOST.PID.HEX.partial` file (readers
never see it: pyarrow, DuckDB and `ls` skip dot files). On S3 an upload is invisible until it
completes, but a killed multipart upload keeps its parts until aborted. Staging files of a
killed stitch are removed by the next holder of that output's lease (see `leases`).
"""
from __future__ import annotations

import logging
import os
import socket
import time

from rifeflow.storage import store
from rifeflow.storage.local_files import partial_writer
from rifeflow.storage.scratch import alive

log = logging.getLogger(__name__)

STALE_S = 3600.0  # a partial of a writer on another machine, or an S3 upload, is left alone this long


def sweep(dest_uri: str, stale_s: float = STALE_S) -> int:
    """Remove leftovers of dead writers under DEST; returns how many."""
    if not store.is_local(dest_uri):
        removed = store.abort_stale_uploads(dest_uri, stale_s)
    else:
        removed = _sweep_local(store.filesystem(dest_uri)[1], stale_s)
    if removed:
        log.info("removed %d leftover partial upload(s) under %s", removed, dest_uri)
    return removed


def _sweep_local(root: str, stale_s: float) -> int:
    here = socket.gethostname().replace(".", "-")
    now = time.time()
    removed = 0
    for directory, _, names in os.walk(root):
        for name in names:
            writer = partial_writer(name)
            if writer is None:
                continue
            path = os.path.join(directory, name)
            host, pid = writer
            try:
                dead = (host == here and not alive(pid)) or now - os.path.getmtime(path) > stale_s
                if dead:
                    os.remove(path)
                    removed += 1
            except FileNotFoundError:
                continue  # its writer finished meanwhile
    return removed
