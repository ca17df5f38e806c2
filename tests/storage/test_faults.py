"""Storage errors become Python's own at the edge, each naming the URI; an unreachable store is
retried with backoff and counted. A real S3 server (moto) on loopback, a port nobody listens on,
and the local filesystem."""
from __future__ import annotations

import concurrent.futures
import time

import pytest

from rifeflow.errors import error_kind, AccessDenied, ObjectNotFound, StorageUnreachable, VideoError, error_category, retryable
from rifeflow.storage import faults, s3_client, store
from tests.services import Blackhole, FailingProxy


def test_a_missing_object_is_file_not_found_naming_it(s3_endpoint, bucket, s3fs_clean):
    uri = f"s3://{bucket}/videos/none.mp4"
    with pytest.raises(ObjectNotFound, match=f"^{uri}: not found") as info:
        store.read_bytes(uri)
    assert isinstance(info.value, FileNotFoundError) and not retryable(info.value)
    assert error_category(info.value) == "missing_object"


def test_a_missing_bucket_or_prefix_is_named_not_an_empty_catalog(s3_endpoint, bucket, s3fs_clean):
    with pytest.raises(ObjectNotFound, match="the bucket 'no-such-bucket-here' does not exist"):
        store.list_videos("s3://no-such-bucket-here/in")
    with pytest.raises(ObjectNotFound, match=f"s3://{bucket}/typo: not found .*no such folder or prefix"):
        store.list_videos(f"s3://{bucket}/typo")


def test_objects_written_atomically_read_back_and_exclusive_creation_wins_once(s3_endpoint, bucket, s3fs_clean):
    uri = f"s3://{bucket}/runs/lease.json"
    assert store.create_exclusive(uri, b"first") is True
    assert store.create_exclusive(uri, b"second") is False
    assert store.read_bytes(uri) == b"first"
    store.write_json_atomic(f"s3://{bucket}/m.json", {"b": 1, "a": [1, 2]})
    assert store.read_json(f"s3://{bucket}/m.json") == {"a": [1, 2], "b": 1}


def test_a_store_that_does_not_answer_is_retried_counted_and_then_unreachable(monkeypatch, s3fs_clean):
    import socket

    with socket.socket() as s:  # a port bound by nobody once this block ends
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own retries off: rifeflow's backoff meets the fault
    monkeypatch.setenv("RIFEFLOW_STORAGE_RETRIES", "2")
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    started = time.monotonic()
    with faults.counting_retries() as retries, pytest.raises(StorageUnreachable) as info:
        store.read_bytes("s3://anything/x.json")
    assert str(info.value).startswith("s3://anything/x.json: storage unreachable")
    assert retries[0] == 2 and time.monotonic() - started >= 0.5 * sum(faults.RETRY_DELAYS_S[:2])  # jittered
    assert isinstance(info.value, ConnectionError) and retryable(info.value)
    assert error_category(info.value) == "storage"


def _blackhole_store(monkeypatch) -> Blackhole:
    """An S3 endpoint that accepts connections and never answers; a 1 s timeout and 1 retry per call."""
    hole = Blackhole()
    monkeypatch.setenv("AWS_ENDPOINT_URL", hole.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setenv("RIFEFLOW_STORAGE_TIMEOUT_S", "1")
    monkeypatch.setenv("RIFEFLOW_STORAGE_RETRIES", "1")
    return hole


@pytest.mark.parametrize("operation", ["read", "write"])
def test_a_store_that_never_answers_times_out_once_per_attempt(operation, monkeypatch, s3fs_clean):
    hole = _blackhole_store(monkeypatch)
    uri = "s3://anything/x.json"
    call = (lambda: store.read_bytes(uri)) if operation == "read" else (lambda: store.write_json_atomic(uri, {}))
    try:
        with faults.counting_retries() as retries, pytest.raises(StorageUnreachable) as info:
            call()
    finally:
        hole.close()
    assert str(info.value).startswith(f"{uri}: storage unreachable") and "timeout" in str(info.value).lower()
    # One request per attempt: neither botocore nor s3fs retries behind rifeflow's back, where each
    # hidden attempt would wait its own timeout (by default 5 x 5 x 60 s per storage call).
    assert retries[0] == 1 and len(hole.connections) == 2


def test_once_a_run_finds_its_store_out_of_reach_it_stops_its_waits_and_tries_each_call_once(monkeypatch, s3fs_clean):
    from rifeflow.errors import OptionError, Stopped
    from rifeflow.orchestration import waiting
    from rifeflow.orchestration.outage import StoreOutage

    hole = _blackhole_store(monkeypatch)
    outage = StoreOutage()
    waiting.clear_stop()
    try:
        assert not outage.note(OptionError("--exp: bad")) and not outage.note(None)  # not the store: nothing trips
        assert not waiting.stop_requested() and faults.retry_delays() == faults.RETRY_DELAYS_S[:1]
        with pytest.raises(StorageUnreachable) as info:
            store.read_bytes("s3://anything/a.json")
        assert outage.note(info.value) and not outage.note(info.value)  # trips once, on the first
        assert outage.reason == str(info.value) and waiting.stop_requested()
        before = len(hole.connections)
        with faults.counting_retries() as retries, pytest.raises(StorageUnreachable):
            store.read_bytes("s3://anything/b.json")
        assert retries[0] == 0 and len(hole.connections) == before + 1  # one attempt, no backoff
        with pytest.raises(Stopped, match="stopped: the run's store stopped answering; 1 tasks cancelled"):
            waiting.result_within(concurrent.futures.Future(), 60, "s3://in/a.mp4")  # ends at once, saying why
    finally:
        hole.close()
        waiting.clear_stop()
        faults.retry_again()
    assert not waiting.stop_requested() and faults.retry_delays() == faults.RETRY_DELAYS_S[:1]  # the next run


def test_the_storage_timeout_is_read_from_the_environment_and_checked(monkeypatch):
    from rifeflow.settings import SettingsError, Settings

    monkeypatch.delenv("RIFEFLOW_STORAGE_TIMEOUT_S", raising=False)
    assert s3_client.timeout_s() == Settings.model_fields["storage_timeout_s"].default == 30.0
    monkeypatch.setenv("RIFEFLOW_STORAGE_TIMEOUT_S", "2.5")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    assert s3_client.config() == {"connect_timeout": 2.5, "read_timeout": 2.5}  # the user's attempts kept
    for bad in ("soon", "0"):
        monkeypatch.setenv("RIFEFLOW_STORAGE_TIMEOUT_S", bad)
        with pytest.raises(SettingsError, match=f"^RIFEFLOW_STORAGE_TIMEOUT_S='{bad}': must be a positive number"):
            s3_client.timeout_s()


def test_retries_stop_at_once_when_set_to_zero(monkeypatch):
    monkeypatch.setenv("RIFEFLOW_STORAGE_RETRIES", "0")
    assert faults.retry_delays() == ()
    monkeypatch.delenv("RIFEFLOW_STORAGE_RETRIES")
    assert faults.retry_delays() == faults.RETRY_DELAYS_S


def test_botocore_denials_and_timeouts_get_their_python_names():
    class AccessDeniedError(Exception):  # how botocore and aiohttp name theirs
        pass

    class ConnectTimeoutError(Exception):
        pass

    with pytest.raises(AccessDenied, match="^s3://b/k: access denied"):
        with faults.translate_errors("s3://b/k"):
            raise AccessDeniedError("An error occurred (AccessDenied) when calling GetObject")
    with pytest.raises(StorageUnreachable, match="^s3://b/k: storage unreachable"):
        with faults.translate_errors("s3://b/k"):
            raise ConnectTimeoutError("Connect timeout on endpoint URL")
    with pytest.raises(KeyError):  # anything else is a bug, and stays what it is
        with faults.translate_errors("s3://b/k"):
            raise KeyError("k")


def test_a_local_condition_keeps_its_errno_and_a_credential_never_shows(tmp_path):
    import errno

    with pytest.raises(OSError) as info:
        with faults.translate_errors("s3://user:s3cr3t@b/k"):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "chunk.mkv"))
    assert info.value.errno == errno.ENOSPC and not isinstance(info.value, ConnectionError)
    with pytest.raises(ObjectNotFound) as missing:
        with faults.translate_errors("s3://user:s3cr3t@b/k"):
            raise FileNotFoundError("k")
    assert "s3cr3t" not in str(missing.value)


def test_a_source_gone_after_the_listing_fails_for_this_run_only_not_as_a_bad_video(tmp_path):
    gone = tmp_path / "gone.mp4"
    with pytest.raises(FileNotFoundError, match="gone.mp4: not found: deleted or moved after the listing") as info:
        with faults.reading_source(str(gone)):
            store.read_bytes(str(gone))
    assert not isinstance(info.value, VideoError)
    assert not retryable(info.value) and error_category(info.value) == "missing_object"
    assert error_kind(info.value) == "transient"  # the next run tries it again, even with the same ETag


@pytest.fixture
def failing_store(s3_endpoint, bucket, monkeypatch):
    """The bucket behind a proxy that can answer with throttling and server errors."""
    import s3fs

    proxy = FailingProxy(s3_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    s3fs.S3FileSystem.clear_instance_cache()
    yield proxy
    proxy.close()
    s3fs.S3FileSystem.clear_instance_cache()


def test_throttling_and_server_errors_are_retried_with_backoff_and_counted(failing_store, bucket):
    uri = f"s3://{bucket}/manifests/m.json"
    failing_store.failures = [503, 500]  # SlowDown, then InternalError, on the manifest's save
    with faults.counting_retries() as retries:
        store.write_json_atomic(uri, {"status": "done"})
    assert failing_store.served[:3] == [503, 500, 200] and retries[0] == 2
    failing_store.failures = [409, 503]
    with faults.counting_retries() as retries:
        assert store.read_json(uri) == {"status": "done"}
    assert retries[0] == 2


def test_a_store_that_keeps_throttling_fails_the_call_in_one_line(failing_store, bucket, monkeypatch):
    monkeypatch.setenv("RIFEFLOW_STORAGE_RETRIES", "1")
    failing_store.failures = [503] * 10
    with pytest.raises(StorageUnreachable, match=f"s3://{bucket}/x.json: storage busy or failing") as info:
        store.read_bytes(f"s3://{bucket}/x.json")
    assert retryable(info.value) and error_category(info.value) == "storage"
    assert failing_store.served == [503, 503]  # one attempt and one retry, nothing hidden


def test_a_frame_count_off_its_plan_is_an_internal_error_and_never_retried():
    from rifeflow.errors import InternalError

    error = InternalError("s3://b/in/a.mp4: chunk 3 made 47 frames, its plan says 48")
    assert (error_category(error), retryable(error)) == ("internal", False)  # deterministic: a retry repeats it
