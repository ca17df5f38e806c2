"""Leases on outputs: two runs over one DEST never work on the same output at once.

A lease is a numbered object under DEST/.rifeflow/leases/<output key>/, created with a
conditional write (S3 `If-None-Match: *`, a hard link on a filesystem), so of two runs that
try to take the next number only one succeeds. The holder renews it while it works and marks
it released when done; a lease that is released, or has not been renewed for `ttl_s`, or was
taken by an earlier attempt of the same run (a crash, then a retry from the UI) can be taken
over by creating the next number. Nothing else is ever overwritten by a non-holder.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Iterator

from pydantic import BaseModel, ConfigDict, ValidationError

from rifeflow.manifests.planning import content_key
from rifeflow.storage import layout, store
from rifeflow.storage.scratch import alive

log = logging.getLogger(__name__)

TTL_S = 600.0
POLL_S = 5.0


class Lease(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    generation: int
    owner: str  # the catalog run (Prefect flow run id) that holds it
    host: str
    pid: int
    output_uri: str
    expires_at: float  # epoch seconds; renewed every ttl/3 while the holder works
    released: bool = False

    def live(self, now: float) -> bool:
        """Held: not released, renewed lately, and (when it was taken on this machine) its process is alive."""
        if self.released or self.expires_at <= now:
            return False
        return self.host != socket.gethostname() or alive(self.pid)


def lease_dir(dest_uri: str, output_uri: str) -> str:
    return store.join(dest_uri, layout.WORK_DIR, "leases", content_key("lease", output_uri))


def _lease_uri(directory: str, generation: int) -> str:
    return store.join(directory, f"{generation:010d}.json")


def current(dest_uri: str, output_uri: str) -> Lease | None:
    """The newest lease on an output, or None."""
    directory = lease_dir(dest_uri, output_uri)
    names = sorted(uri for uri, _ in store.listing(directory)
                   if os.path.basename(uri).endswith(".json") and not os.path.basename(uri).startswith("."))
    for uri in reversed(names):
        try:
            return Lease.model_validate(store.read_json(uri))
        except (FileNotFoundError, ValidationError, ValueError):
            continue  # removed meanwhile, or unreadable: look at the one before
    return None


def try_acquire(dest_uri: str, output_uri: str, owner: str, ttl_s: float = TTL_S) -> tuple[Lease | None, Lease | None]:
    """(our lease, None) when taken; (None, the live lease of another run) when someone else holds it."""
    directory = lease_dir(dest_uri, output_uri)
    while True:
        latest = current(dest_uri, output_uri)
        now = time.time()
        if latest is not None and latest.live(now) and latest.owner != owner:
            return None, latest
        lease = Lease(generation=(latest.generation + 1) if latest else 1, owner=owner, host=socket.gethostname(),
                      pid=os.getpid(), output_uri=output_uri, expires_at=now + ttl_s)
        if store.create_exclusive(_lease_uri(directory, lease.generation), _encode(lease)):
            if latest is not None:
                _forget_before(directory, latest.generation)
            return lease, None
        # another run took that number first: look again


def _encode(lease: Lease) -> bytes:
    return lease.model_dump_json(indent=2).encode()


def _forget_before(directory: str, generation: int) -> None:
    for uri, _ in store.listing(directory):
        name = os.path.basename(uri)
        if name.endswith(".json") and name[:-5].isdigit() and int(name[:-5]) < generation:
            store.remove(uri)


def renew(dest_uri: str, lease: Lease, ttl_s: float = TTL_S, released: bool = False) -> Lease:
    """Extend (or release) our lease; only its holder ever rewrites it. Warns when it was taken over."""
    latest = current(dest_uri, lease.output_uri)
    if latest is not None and latest.generation != lease.generation:
        log.warning("lease on %s was taken over by run %s (ours had expired)", layout.printable(lease.output_uri),
                    latest.owner)
        return lease
    updated = lease.model_copy(update={"expires_at": time.time() + ttl_s, "released": released})
    store.write_bytes_atomic(_lease_uri(lease_dir(dest_uri, lease.output_uri), lease.generation), _encode(updated))
    return updated


@contextlib.contextmanager
def holding(dest_uri: str, output_uri: str, owner: str, ttl_s: float = TTL_S, poll_s: float = POLL_S,
            on_wait=None) -> Iterator[Lease]:
    """Hold the output's lease for the block: waits while another live run holds it, renews it in a
    background thread, releases it at the end (also when the block fails)."""
    waited_for = None
    while True:
        lease, holder = try_acquire(dest_uri, output_uri, owner, ttl_s)
        if lease is not None:
            break
        if on_wait is not None and holder.owner != waited_for:
            on_wait(holder)
            waited_for = holder.owner
        time.sleep(poll_s)
    stop = threading.Event()
    box = {"lease": lease}

    def heartbeat() -> None:
        while not stop.wait(ttl_s / 3):
            try:
                box["lease"] = renew(dest_uri, box["lease"], ttl_s)
            except OSError as exc:  # storage away: try again next beat, the lease lasts ttl_s
                log.warning("could not renew the lease on %s: %s", layout.printable(output_uri), exc)

    thread = threading.Thread(target=heartbeat, name="rifeflow-lease", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(OSError):
            renew(dest_uri, box["lease"], ttl_s, released=True)
