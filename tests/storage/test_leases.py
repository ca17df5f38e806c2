"""Leases with fencing, on a real moto S3 server and on local files: a holder that lost its lease finds out
before it saves or publishes; expiry by the store's clock; the PID shortcut only within one PID namespace;
a store that ignores conditional writes is refused."""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from rifeflow.errors import LeaseLost, NothingRan
from rifeflow.storage import leases, store
from rifeflow.storage.manifest_store import ManifestWriter
from tests.services import FailingProxy


def _write_lease(dest: str, output: str, generation: int, **fields) -> str:
    lease = leases.Lease(generation=generation, owner=fields.pop("owner", "other-run"), host=socket.gethostname(),
                         pid=fields.pop("pid", os.getpid()), output_uri=output, expires_at=time.time() + 600,
                         pid_namespace=fields.pop("pid_namespace", ""), **fields)
    uri = store.join(leases.lease_dir(dest, output), f"{generation:010d}.json")
    store.write_bytes_atomic(uri, lease.model_dump_json().encode())
    return uri


def test_a_holder_that_lost_its_lease_saves_and_publishes_nothing(s3_endpoint, bucket, s3fs_clean):
    dest, output = f"s3://{bucket}/out", f"s3://{bucket}/out/a.mp4"
    ours, _ = leases.try_acquire(dest, output, "run-1", ttl_s=600)
    # A retry of the same run (a crash, then Retry) takes over at once, while this attempt's work goes on.
    theirs, _ = leases.try_acquire(dest, output, "run-1", ttl_s=600)
    assert theirs.generation == ours.generation + 1
    with pytest.raises(LeaseLost, match="a.mp4: run run-1 holds it now"):
        leases.ensure_held(dest, ours)
    with pytest.raises(LeaseLost):
        leases.renew(dest, ours)
    leases.ensure_held(dest, theirs)  # the new holder holds it


def test_the_heartbeat_finds_a_takeover_and_the_manifest_writer_refuses(tmp_path):
    from rifeflow.manifests.records import InterpolationOptions, SourceStat, VideoManifest

    dest, output = str(tmp_path), str(tmp_path / "a.mp4")
    lease, _ = leases.try_acquire(dest, output, "run-1", ttl_s=0.6)
    held = leases.Holding(dest, lease)
    writer = ManifestWriter(dest, held)
    manifest = VideoManifest(video_key="k", source_uri="s.mp4", output_uri=output, options=InterpolationOptions(),
                             source_stat=SourceStat(size=1, version="1"), chunk_frames=8)
    writer.save(manifest)  # held: saved
    leases.try_acquire(dest, output, "run-1", ttl_s=600)  # taken over
    time.sleep(0.5)  # a heartbeat (every ttl/3) notices
    with pytest.raises(LeaseLost):
        writer.save(manifest.model_copy(update={"status": "interpolated"}))
    with pytest.raises(LeaseLost):
        writer.save(manifest.model_copy(update={"status": "done"}))
    held.release()
    stored = json.loads((tmp_path / ".rifeflow" / "manifests" / "k.json").read_text())
    assert stored["status"] == "pending"  # nothing saved after the takeover


def test_expiry_follows_the_stores_clock_not_the_holders(tmp_path):
    dest, output = str(tmp_path), str(tmp_path / "b.mp4")
    # A holder whose clock runs an hour behind: its expires_at has passed, but it renewed a moment ago.
    uri = _write_lease(dest, output, 1)
    data = json.loads(open(uri).read())
    data.update(host="another-machine", expires_at=time.time() - 3600)
    open(uri, "w").write(json.dumps(data))
    assert leases.try_acquire(dest, output, "run-2")[0] is None  # still live
    # One that says it lasts a day but has not been renewed for longer than its ttl has expired.
    data.update(expires_at=time.time() + 86400)
    open(uri, "w").write(json.dumps(data))
    old = time.time() - 700
    os.utime(uri, (old, old))
    taken, _ = leases.try_acquire(dest, output, "run-2")
    assert taken is not None and taken.generation == 2


def test_a_dead_pid_counts_only_in_the_holders_own_pid_namespace(tmp_path):
    dest, output = str(tmp_path), str(tmp_path / "c.mp4")
    dead = 2**22 + 12345  # no such process
    _write_lease(dest, output, 1, pid=dead, pid_namespace="pid:[4026531836-elsewhere]")
    assert leases.try_acquire(dest, output, "run-2")[0] is None  # same hostname, other container: wait
    _write_lease(dest, output, 2, pid=dead, pid_namespace=os.readlink("/proc/self/ns/pid"))
    taken, _ = leases.try_acquire(dest, output, "run-2")
    assert taken is not None and taken.generation == 3  # this namespace, process gone: taken over at once


def test_an_unreadable_newest_lease_is_waited_on_without_spinning(tmp_path):
    dest, output = str(tmp_path), str(tmp_path / "d.mp4")
    uri = store.join(leases.lease_dir(dest, output), f"{1:010d}.json")
    store.write_bytes_atomic(uri, b'{"generation": 1, "own')  # half written by a store without hard links
    attempts = []
    real = store.create_exclusive

    def counting(*args):
        attempts.append(args)
        return real(*args)

    store.create_exclusive = counting
    try:
        result = {}
        thread = threading.Thread(target=lambda: result.update(r=leases.try_acquire(dest, output, "run-2", 600)),
                                  daemon=True)
        thread.start()
        thread.join(2.0)
        assert thread.is_alive() and len(attempts) == 0  # waits for it to expire, creating nothing meanwhile
        old = time.time() - 700
        os.utime(uri, (old, old))
        thread.join(5.0)
        assert result["r"][0].generation == 2
    finally:
        store.create_exclusive = real


def test_a_store_that_ignores_conditional_writes_is_refused(s3_endpoint, bucket, monkeypatch):
    import s3fs

    leases.check_conditional_writes(f"s3://{bucket}/out")  # moto honours If-None-Match
    proxy = FailingProxy(s3_endpoint)
    proxy.drop_headers = {"if-none-match"}  # an S3-compatible store that does not
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        with pytest.raises(NothingRan, match="does not honour conditional writes"):
            leases.check_conditional_writes(f"s3://{bucket}/out")
    finally:
        proxy.close()
        s3fs.S3FileSystem.clear_instance_cache()
