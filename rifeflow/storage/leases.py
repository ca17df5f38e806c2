"""Leases on outputs: two runs over one DEST never work on the same output at once, and a run that has lost
its lease publishes nothing and saves no manifest.

A lease is a numbered object under DEST/.rifeflow/leases/<output key>/, created with a conditional write
(S3 `If-None-Match: *`, a hard link or an exclusive create on a filesystem), so of two runs that try to
take the next number only one succeeds; `check_conditional_writes` refuses a store that ignores them.
The holder renews its lease while it works and marks it released when done. A lease can be taken over
(by creating the next number) when it is released, when it has not been renewed for its ttl by the
store's own clock (so a holder's skewed clock cannot keep it alive or let it die early), when its holder
process is gone (same machine and same PID namespace only: a container with the same hostname cannot
tell), or by a later attempt of the same run (a crash, then Retry from the UI). Whoever did not take the
newest number has lost: `Holding.check()` says so before every manifest save and before publishing.
"""
from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from pydantic import BaseModel, ConfigDict, ValidationError

from rifeflow.errors import LeaseLost
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
    expires_at: float  # the holder's clock, for people reading it; liveness uses the store's clock
    released: bool = False
    ttl_s: float = TTL_S
    pid_namespace: str = ""  # the holder's PID namespace: its pid means something only inside it


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def lease_dir(dest_uri: str, output_uri: str) -> str:
    return store.join(dest_uri, layout.WORK_DIR, "leases", content_key("lease", output_uri))


def _lease_uri(directory: str, generation: int) -> str:
    return store.join(directory, f"{generation:010d}.json")


@dataclass
class _Clock:
    """The store's clock against this process's (S3 LastModified, or a filesystem's mtime), measured once."""

    offset: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self, dest_uri: str) -> float:
        with self.lock:
            if self.offset is None:
                probe = store.join(dest_uri, layout.WORK_DIR, "clock", f"{socket.gethostname()}-{os.getpid()}")
                before = time.time()
                store.write_bytes_atomic(probe, b"")
                self.offset = store.modified_at(probe) - (before + time.time()) / 2
                store.remove(probe)
            return time.time() + self.offset


_CLOCKS: dict[str, _Clock] = {}


def store_now(dest_uri: str) -> float:
    """Now, by the store's clock (seconds; S3 keeps whole seconds)."""
    return _CLOCKS.setdefault(dest_uri, _Clock()).now(dest_uri)


@dataclass(frozen=True)
class Newest:
    """The newest lease file of an output: its number, and its lease when readable."""

    generation: int
    lease: Lease | None
    modified_at: float


def newest(dest_uri: str, output_uri: str) -> Newest | None:
    directory = lease_dir(dest_uri, output_uri)
    numbered = sorted((int(os.path.basename(uri)[:-5]), uri) for uri, _ in store.listing(directory)
                      if os.path.basename(uri).endswith(".json") and os.path.basename(uri)[:-5].isdigit())
    if not numbered:
        return None
    generation, uri = numbered[-1]
    try:
        lease = Lease.model_validate(store.read_json(uri))
        return Newest(generation, lease, store.modified_at(uri))
    except FileNotFoundError:
        return newest(dest_uri, output_uri)  # removed meanwhile by a newer holder: look again
    except (ValidationError, ValueError):  # half-written (a store without hard links) or damaged
        return Newest(generation, None, store.modified_at(uri))


def current(dest_uri: str, output_uri: str) -> Lease | None:
    """The newest readable lease on an output, or None."""
    found = newest(dest_uri, output_uri)
    return found.lease if found else None


def live(found: Newest, dest_uri: str) -> bool:
    """Whether the newest lease still holds: not released, renewed within its ttl by the store's clock, and
    (when its holder ran on this machine in this PID namespace) its process alive."""
    lease = found.lease
    if lease is not None and lease.released:
        return False
    ttl = lease.ttl_s if lease is not None else TTL_S
    if found.modified_at + ttl <= store_now(dest_uri):
        return False
    if lease is not None and lease.host == socket.gethostname() and lease.pid_namespace == _pid_namespace():
        return alive(lease.pid)
    return True


def try_acquire(dest_uri: str, output_uri: str, owner: str, ttl_s: float = TTL_S) -> tuple[Lease | None, Lease | None]:
    """(our lease, None) when taken; (None, the live lease of another run) when someone else holds it."""
    directory = lease_dir(dest_uri, output_uri)
    while True:
        found = newest(dest_uri, output_uri)
        if found is not None and found.lease is not None and found.lease.owner != owner and live(found, dest_uri):
            return None, found.lease
        if found is not None and found.lease is None and live(found, dest_uri):
            time.sleep(random.uniform(0.2, 1.0))  # being written, or damaged: it expires after its ttl
            continue
        lease = Lease(generation=(found.generation + 1) if found else 1, owner=owner, host=socket.gethostname(),
                      pid=os.getpid(), output_uri=output_uri, expires_at=time.time() + ttl_s, ttl_s=ttl_s,
                      pid_namespace=_pid_namespace())
        if store.create_exclusive(_lease_uri(directory, lease.generation), _encode(lease)):
            if found is not None:
                _forget_before(directory, found.generation)
            return lease, None
        time.sleep(random.uniform(0.05, 0.5))  # another run took that number first: look again, not at once


def _encode(lease: Lease) -> bytes:
    return lease.model_dump_json(indent=2).encode()


def _forget_before(directory: str, generation: int) -> None:
    for uri, _ in store.listing(directory):
        name = os.path.basename(uri)
        if name.endswith(".json") and name[:-5].isdigit() and int(name[:-5]) < generation:
            store.remove(uri)


def still_ours(dest_uri: str, lease: Lease) -> bool:
    """Whether `lease` is still the newest on its output (nobody took the next number)."""
    found = newest(dest_uri, lease.output_uri)
    return found is not None and found.generation == lease.generation


def ensure_held(dest_uri: str, lease: Lease) -> None:
    """Raise LeaseLost unless `lease` is still the newest on its output: call right before publishing."""
    found = newest(dest_uri, lease.output_uri)
    if found is None or found.generation != lease.generation:
        holder = found.lease.owner if found is not None and found.lease is not None else "another run"
        raise LeaseLost(f"{layout.printable(lease.output_uri)}: run {holder} holds it now (this run's lease, "
                        f"number {lease.generation}, was taken over); nothing was published or saved")


def renew(dest_uri: str, lease: Lease, released: bool = False) -> Lease:
    """Extend (or release) our lease; only its holder ever rewrites it. LeaseLost when it was taken over."""
    ensure_held(dest_uri, lease)
    updated = lease.model_copy(update={"expires_at": time.time() + lease.ttl_s, "released": released})
    store.write_bytes_atomic(_lease_uri(lease_dir(dest_uri, lease.output_uri), lease.generation), _encode(updated))
    return updated


class Holding:
    """A held lease, renewed in the background; `check()` raises LeaseLost once it is known to be lost."""

    def __init__(self, dest_uri: str, lease: Lease):
        self.dest_uri, self.lease = dest_uri, lease
        self.lost: str | None = None
        self.renewed_at = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name="rifeflow-lease", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease.ttl_s / 3):
            try:
                self.lease = renew(self.dest_uri, self.lease)
                self.renewed_at = time.monotonic()
            except LeaseLost as exc:
                self.lost = str(exc)
                return
            except OSError as exc:  # storage away: try again next beat; past the ttl, count it as lost
                log.warning("could not renew the lease on %s: %s", layout.printable(self.lease.output_uri), exc)
                if time.monotonic() - self.renewed_at > self.lease.ttl_s:
                    self.lost = (f"{layout.printable(self.lease.output_uri)}: the lease could not be renewed for "
                                 f"{self.lease.ttl_s:.0f} s, so another run may hold it; nothing more is saved")
                    return

    def check(self, against_store: bool = False) -> None:
        """LeaseLost if the lease is lost; `against_store` also reads the newest lease (before publishing)."""
        if self.lost:
            raise LeaseLost(self.lost)
        if against_store:
            ensure_held(self.dest_uri, self.lease)

    def release(self) -> None:
        self._stop.set()
        self._thread.join()
        if not self.lost:
            with contextlib.suppress(OSError, LeaseLost):
                renew(self.dest_uri, self.lease, released=True)


@contextlib.contextmanager
def holding(dest_uri: str, output_uri: str, owner: str, ttl_s: float = TTL_S, poll_s: float = POLL_S,
            on_wait: Callable[[Lease], None] | None = None, wait_s: float | None = None,
            stopping: Callable[[], bool] | None = None) -> Iterator[Holding]:
    """Hold the output's lease for the block: waits while another live run holds it (at most `wait_s`, then
    TimeoutError; `stopping()` true ends the wait at once), renews it in the background, releases it at the
    end (also when the block fails)."""
    waited_for, started = None, time.monotonic()
    while True:
        lease, holder = try_acquire(dest_uri, output_uri, owner, ttl_s)
        if lease is not None:
            break
        if on_wait is not None and holder.owner != waited_for:
            on_wait(holder)
            waited_for = holder.owner
        if wait_s is not None and time.monotonic() - started > wait_s:
            raise TimeoutError(f"{layout.printable(output_uri)}: run {holder.owner} has held it for over "
                               f"{wait_s:.0f} s; this run leaves it to that one")
        if stopping is not None and stopping():
            raise InterruptedError(f"{layout.printable(output_uri)}: stopped while waiting for run {holder.owner}")
        time.sleep(poll_s)
    held = Holding(dest_uri, lease)
    try:
        yield held
    finally:
        held.release()


def check_conditional_writes(dest_uri: str) -> None:
    """Refuse a store that ignores conditional writes (some S3-compatible ones do): leases need them."""
    from rifeflow.errors import NothingRan

    probe = store.join(dest_uri, layout.WORK_DIR, "clock", f"conditional-{socket.gethostname()}-{os.getpid()}")
    try:
        first = store.create_exclusive(probe, b"1")
        second = store.create_exclusive(probe, b"2")
    finally:
        store.remove(probe)
    if not first or second:
        raise NothingRan(f"{dest_uri}: the store does not honour conditional writes (If-None-Match: *): two "
                         "runs could both believe they hold an output. rifeflow needs a store that does "
                         "(AWS S3, MinIO, Ceph RGW and moto do)")
