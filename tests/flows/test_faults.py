"""What happens around the files: storage faults, overlapping runs, kills, full disks, hostile keys, secrets.

Each test runs the real `rifeflow run` (a real Prefect server, real Dask workers) against real storage
(moto's S3 server on loopback, or a local folder), on small generated clips with audio.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest

from rifeflow.storage.layout import printable
from rifeflow.metrics.dataset import read_metrics
from rifeflow.video.sample import make_sample_clip
from tests.services import BIN, RIFEFLOW, DaskProcesses, free_port, pipeline_env, run_cli, stop

pytestmark = [pytest.mark.slow, pytest.mark.faults]

CLIPS = ("alpha.mp4", "beta.mp4", "gamma.mp4")
RUN_OPTIONS = ["--workers", "1", "--scale", "0.5", "--chunk-frames", "8", "--preset", "ultrafast",
               "--heldout-frames", "2"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for i, name in enumerate(CLIPS):
        make_sample_clip(str(folder / name), seconds=1.0 + 0.5 * i, size=64, fps=12)
    return folder


@pytest.fixture(scope="module")
def reference(clips, prefect_server, tmp_path_factory) -> dict[str, str]:
    """SHA-256 of every output of an undisturbed run on a local DEST."""
    dest = tmp_path_factory.mktemp("reference")
    proc = run_cli(["run", str(clips), str(dest), *RUN_OPTIONS], pipeline_env(prefect_server))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _local_outputs(dest)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _local_outputs(dest: Path) -> dict[str, str]:
    return {p.name: _digest(p.read_bytes()) for p in dest.glob("*.mp4")}


def _s3_outputs(bucket: str, prefix: str) -> dict[str, str]:
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])]
    return {k.rsplit("/", 1)[1]: _digest(s3.get_object(Bucket=bucket, Key=k)["Body"].read())
            for k in keys if k.count("/") == prefix.count("/") + 1 and k.endswith(".mp4")}


def _upload(clips: Path, bucket: str, prefix: str = "in") -> None:
    s3 = boto3.client("s3")
    for name in CLIPS:
        s3.upload_file(str(clips / name), bucket, f"{prefix}/{name}")


def _wait_for_key(bucket: str, prefix: str, timeout: float, proc: subprocess.Popen) -> str:
    s3 = boto3.client("s3")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        contents = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        if contents:
            return contents[0]["Key"]
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {prefix} appeared"
        time.sleep(0.1)
    raise TimeoutError(f"nothing under {prefix} within {timeout} s")


def _wait_for_file(root: Path, pattern: str, timeout: float, proc: subprocess.Popen) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in root.glob(pattern) if not p.name.startswith(".")]
        if found:
            return found[0]
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {pattern} appeared"
        time.sleep(0.05)
    raise TimeoutError(f"no {pattern} under {root} within {timeout} s")


def _popen(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([RIFEFLOW, *args], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _finish(proc: subprocess.Popen, log: Path, timeout: float = 900) -> str:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGUSR1)  # the CLI writes every thread's stack into the log
        time.sleep(2)
        print(f"\n$ {' '.join(map(str, proc.args[1:]))} still running after {timeout} s\n{log.read_text()[-20000:]}")
        raise
    text = log.read_text()
    print(f"\n$ {' '.join(map(str, proc.args[1:]))} -> exit {proc.returncode}\n{text[-3000:]}")
    return text


class Endpoint:
    """The S3 endpoint a run talks to: a TCP relay on a fixed loopback port to the moto server. It can
    go away (listener closed, every open connection reset) and come back on the same port, or stop
    answering (connections stay open and new ones are accepted, but nothing is passed on: a hung
    server, or a network partition)."""

    def __init__(self, s3_endpoint: str, delay: float = 0.0):
        self.target = int(s3_endpoint.rsplit(":", 1)[1])
        self.port, self.delay = free_port(), delay
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.listener, self.open, self.stalled = None, set(), False
        self.lock = threading.Lock()
        self.up()

    def up(self) -> None:
        if self.stalled:  # the half-answered exchanges of the stall cannot go on
            self._reset_open()
            self.stalled = False
            return
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        _close(self.listener)
        self._reset_open()

    def stall(self) -> None:
        self.stalled = True

    def _reset_open(self) -> None:
        with self.lock:
            for s in list(self.open):
                with contextlib.suppress(OSError):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
                _close(s)
            self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.stalled:
                with self.lock:
                    self.open.add(client)
                threading.Thread(target=self._pipe, args=(client, None), daemon=True).start()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.open.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket | None) -> None:
        try:
            while data := src.recv(65536):
                if self.stalled or dst is None:
                    continue  # swallowed: the other side waits for an answer that never comes
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)


def _close(s: socket.socket) -> None:
    """shutdown() first: it wakes a thread blocked in accept() or recv() on the socket. close() alone
    does not, and the blocked call keeps the socket alive (still listening, or still connected)."""
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


# 1. Storage faults ---------------------------------------------------------------------------------


def test_endpoint_outage_mid_run_is_retried_counted_and_bit_identical(clips, reference, bucket, s3_endpoint,
                                                                      prefect_server, tmp_path):
    _upload(clips, bucket)
    endpoint = Endpoint(s3_endpoint)
    # botocore's own retries (5 attempts, backoff up to ~15 s) could ride out the outage unseen;
    # with one attempt each refused connection reaches rifeflow's backoff, which logs and counts it.
    env = pipeline_env(prefect_server, AWS_ENDPOINT_URL=endpoint.endpoint, AWS_MAX_ATTEMPTS="1")
    log = tmp_path / "run.log"
    proc = _popen(["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS], env, log)
    try:
        _wait_for_key(bucket, "out/.rifeflow/segments/", 300, proc)
        endpoint.down()
        # Away until some call has met the outage and is backing off (at most 20 s), then a little longer.
        deadline = time.monotonic() + 20
        while "retry 1 of" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)
        endpoint.up()
        text = _finish(proc, log)
    finally:
        stop(proc)
        endpoint.down()
    assert proc.returncode == 0, text[-3000:]
    assert "3 videos: 3 done, 0 skipped, 0 failed" in text
    assert "storage unreachable" in text and "retry 1 of" in text
    assert "Traceback" not in text
    rows = read_metrics(f"s3://{bucket}/out")
    assert rows["retries"].sum() > 0 and set(rows["status"]) == {"done"}
    assert "retries after transient faults" in text
    assert _s3_outputs(bucket, "out") == reference


def test_endpoint_that_stops_answering_fails_the_run_and_a_rerun_finishes_it_bit_identical(
        clips, reference, bucket, s3_endpoint, prefect_server, tmp_path):
    """A hung server or a partition: requests in flight and new ones get no answer, uploads included
    (which, waiting for `100 Continue`, once waited forever). Each storage call gives up after its
    timeout, so the run fails with the endpoint named instead of hanging; and once a video has failed
    that way, no other video starts and those in flight stop, instead of each waiting out its own retries."""
    _upload(clips, bucket)
    endpoint = Endpoint(s3_endpoint)
    env = pipeline_env(prefect_server, AWS_ENDPOINT_URL=endpoint.endpoint, RIFEFLOW_STORAGE_RETRIES="1",
                       RIFEFLOW_STORAGE_TIMEOUT_S="2")
    args = ["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS]
    log = tmp_path / "stalled.log"
    proc = _popen(args, env, log)
    try:
        _wait_for_key(bucket, "out/.rifeflow/segments/", 300, proc)
        endpoint.stall()
        started = time.monotonic()
        text = _finish(proc, log, timeout=600)
        print(f"the run ended {time.monotonic() - started:.0f} s after the endpoint stopped answering")
    finally:
        stop(proc)
    assert proc.returncode != 0
    assert "storage unreachable (Read timeout" in text and f"127.0.0.1:{endpoint.port}" in text
    assert "the run ended early, its store stopped answering" in text
    failed = [line for line in text.splitlines() if line.startswith("failed: ")]
    assert any(("not started: the run's store stopped answering" in line or
                "stopped: the run's store stopped answering" in line) for line in failed), failed
    endpoint.up()
    try:
        rerun = run_cli(args, env)
    finally:
        endpoint.down()
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _s3_outputs(bucket, "out") == reference
    leftovers = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="out/.rifeflow/staging/")
    assert leftovers.get("KeyCount", 0) == 0


def _assert_one_clear_line(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-3000:])
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "botocore" not in text and "retry" not in text.lower(), text[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("rifeflow: error:")]
    assert len(lines) == 1, proc.stderr[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_wrong_credentials_fail_at_once_with_one_line(prefect_server, tmp_path):
    port = free_port()
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        from tests.services import wait_for_http

        wait_for_http(f"http://127.0.0.1:{port}/moto-api/", 60, server)
        env = pipeline_env(prefect_server, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                           AWS_ACCESS_KEY_ID="AKIANOTAREALKEY00000", AWS_SECRET_ACCESS_KEY="wrong-secret")
        started = time.monotonic()
        proc = run_cli(["run", "s3://nightly/in", "s3://nightly/out", *RUN_OPTIONS], env)
        elapsed = time.monotonic() - started
    finally:
        stop(server)
    _assert_one_clear_line(proc, "s3://nightly/in", "access denied", "credentials")
    assert "wrong-secret" not in proc.stdout + proc.stderr
    print(f"wrong credentials: exit 3 after {elapsed:.1f} s")


def test_missing_bucket_fails_at_once_with_one_line(s3_endpoint, prefect_server):
    proc = run_cli(["run", "s3://no-such-bucket-anywhere/in", "s3://no-such-bucket-anywhere/out", *RUN_OPTIONS],
                   pipeline_env(prefect_server))
    _assert_one_clear_line(proc, "no-such-bucket-anywhere", "does not exist")


def test_source_deleted_between_listing_and_reading_fails_only_that_video_for_that_run(clips, bucket, prefect_server,
                                                                                     tmp_path):
    _upload(clips, bucket)
    env = pipeline_env(prefect_server)
    log = tmp_path / "run.log"
    args = ["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS, "--videos-in-flight", "1"]
    proc = _popen(args, env, log)
    try:
        _wait_for_key(bucket, "out/.rifeflow/segments/", 300, proc)
        boto3.client("s3").delete_object(Bucket=bucket, Key="in/gamma.mp4")
        text = _finish(proc, log)
    finally:
        stop(proc)
    assert proc.returncode == 1
    assert "3 videos: 2 done, 0 skipped, 1 failed" in text
    failed = [line for line in text.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and f"s3://{bucket}/in/gamma.mp4" in failed[0] and "deleted or moved after the listing" in failed[0], failed
    assert "Traceback" not in text
    rows = read_metrics(f"s3://{bucket}/out").set_index("source_uri")
    gamma = rows.loc[f"s3://{bucket}/in/gamma.mp4"]
    assert (gamma["error_kind"], gamma["error_category"], gamma["retries"]) == ("transient", "missing_object", 0)
    # Briefly missing, back with the same bytes (the same ETag): the next run does it.
    boto3.client("s3").upload_file(str(clips / "gamma.mp4"), bucket, "in/gamma.mp4")
    rerun = run_cli(args, env)
    assert rerun.returncode == 0 and "3 videos: 1 done, 2 skipped, 0 failed" in rerun.stdout, rerun.stderr[-2000:]


def test_slow_storage_responses_still_finish(clips, reference, bucket, s3_endpoint, prefect_server):
    _upload(clips, bucket)
    slow = Endpoint(s3_endpoint, delay=0.05)  # every piece of data held 50 ms each way
    try:
        proc = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS],
                       pipeline_env(prefect_server, AWS_ENDPOINT_URL=slow.endpoint))
    finally:
        slow.down()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _s3_outputs(bucket, "out") == reference


# 2. Overlapping runs -------------------------------------------------------------------------------


def test_overlapping_runs_both_finish_and_each_video_is_done_once(clips, reference, bucket, prefect_server, tmp_path):
    _upload(clips, bucket)
    env = pipeline_env(prefect_server)
    args = ["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS]
    first = _popen(args, env, tmp_path / "first.log")
    time.sleep(3)
    second = _popen(args, env, tmp_path / "second.log")
    try:
        texts = [_finish(first, tmp_path / "first.log"), _finish(second, tmp_path / "second.log")]
    finally:
        stop(first), stop(second)
    assert first.returncode == 0 and second.returncode == 0, texts
    rows = read_metrics(f"s3://{bucket}/out")
    assert len(rows) == 6 and set(rows["status"]) <= {"done", "skipped"}
    done = rows[rows["status"] == "done"]
    assert sorted(done["source_uri"]) == sorted(f"s3://{bucket}/in/{n}" for n in CLIPS)  # each video done once
    run_ids = set(rows["run_id"])
    assert len(run_ids) == 2
    for _, row in rows[rows["status"] == "skipped"].iterrows():
        done_row = done[done["source_uri"] == row["source_uri"]].iloc[0]
        assert row["done_by_run_id"] == done_row["run_id"] != row["run_id"]
    assert all(done["done_by_run_id"] == done["run_id"])
    assert _s3_outputs(bucket, "out") == reference
    leases = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="out/.rifeflow/leases/").get("Contents", [])
    assert leases, "runs took leases"


# 3. Nothing half-written is ever visible -----------------------------------------------------------


def _visible_files(dest: Path) -> list[Path]:
    return [p for p in dest.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                                                                     p.relative_to(dest).parts)]


def _assert_readers_see_only_whole_files(dest: Path) -> None:
    import duckdb
    import pyarrow.dataset as ds

    from rifeflow.video.read import probe_video

    for path in _visible_files(dest):
        assert not path.name.endswith(".partial"), path
        if path.suffix == ".mp4":
            assert probe_video(str(path)).frames > 0, path
    metrics = dest / "metrics"
    if metrics.exists() and list(metrics.rglob("*.parquet")):
        ds.dataset(str(metrics), format="parquet", partitioning="hive").to_table()
        duckdb.connect().execute(f"select count(*) from read_parquet('{metrics}/**/*.parquet')").fetchone()


@pytest.mark.parametrize("kill_when", ["first chunk", "first output", "first metrics row"])
def test_sigkill_at_any_point_leaves_nothing_half_written_and_a_rerun_finishes(kill_when, clips, reference,
                                                                               prefect_server, tmp_path):
    dest = tmp_path / "dest"
    env = pipeline_env(prefect_server)
    args = ["run", str(clips), str(dest), *RUN_OPTIONS]
    log = tmp_path / "killed.log"
    proc = _popen(args, env, log)
    pattern = {"first chunk": ".rifeflow/segments/*/*.mp4", "first output": "*.mp4",
               "first metrics row": "metrics/*/*.parquet"}[kill_when]
    try:
        _wait_for_file(dest, pattern, 300, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    _assert_readers_see_only_whole_files(dest)

    rerun = run_cli(args, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _assert_readers_see_only_whole_files(dest)
    assert not [p for p in dest.rglob("*.partial")], "leftovers of the killed run were swept"
    staging = dest / ".rifeflow" / "staging"
    assert not staging.exists() or not [p for p in staging.rglob("*") if p.is_file()]
    assert _local_outputs(dest) == reference


def test_scratch_disk_full_fails_with_a_clear_error_and_publishes_nothing(clips, prefect_server, tmp_path):
    env = pipeline_env(prefect_server)
    cluster = DaskProcesses(tmp_path, env)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    worker_log = open(tmp_path / "dask-full-worker.log", "w")
    worker = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'mount -t tmpfs -o size=1m tmpfs "{scratch}" && exec "{BIN}/dask" worker {cluster.address} '
         "--name full --nthreads 1 --no-dashboard --host 127.0.0.1"],
        env={**env, "TMPDIR": str(scratch), "OMP_NUM_THREADS": "1"}, stdout=worker_log, stderr=subprocess.STDOUT,
        start_new_session=True)
    dest = tmp_path / "dest"
    try:
        cluster.wait_for_workers(1)
        seen = Path(f"/proc/{worker.pid}/root") / str(scratch).lstrip("/")  # the tmpfs, as the worker sees it
        free = os.statvfs(seen).f_bavail * os.statvfs(seen).f_frsize
        (seen / "filler").write_bytes(b"\0" * (free - 16 * 1024))  # room for a little, not for a video
        proc = run_cli(["run", str(clips), str(dest), *RUN_OPTIONS, "--scheduler", cluster.address], env)
    finally:
        stop(worker)
        cluster.close()
    assert proc.returncode == 1, proc.stderr[-3000:]
    failed = [line for line in proc.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 3, proc.stderr[-3000:]
    for line in failed:
        assert "no space left on the scratch disk" in line and "TMPDIR" in line, line
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not list(dest.glob("*.mp4")), "nothing was published"
    _assert_readers_see_only_whole_files(dest)
    rows = read_metrics(str(dest))  # the machine's trouble, not the videos': tried again by the next run
    assert (sorted(rows["error_category"]), set(rows["error_kind"])) == (["scratch_full"] * 3, {"transient"})


# 4. Hostile keys -----------------------------------------------------------------------------------


HOSTILE = {
    "in/deep/../../escape.mp4": "'..' path segment",
    "in//double.mp4": "empty path segment",
    "in/esc\x1b[31mred.mp4": "control character",  # a terminal escape
    "in/cr\rline.mp4": "control character",  # (moto cannot store a newline in a key; real S3 can)
    "in/" + "n" * 250 + ".mp4": "longer than",
    "in/x.avi": "is also the output of",
}


def test_hostile_keys_are_refused_with_reasons_and_nothing_escapes_dest(clips, bucket, prefect_server):
    s3 = boto3.client("s3")
    data = (clips / "alpha.mp4").read_bytes()
    for key in [*HOSTILE, "in/x.mp4", "in/ok.mp4"]:
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    proc = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/out", *RUN_OPTIONS], pipeline_env(prefect_server))
    assert proc.returncode == 1
    assert "8 videos: 2 done, 0 skipped, 6 failed" in proc.stdout
    failed = [line for line in proc.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 6, proc.stderr[-3000:]
    raw = [line for line in (proc.stdout + proc.stderr).splitlines() if any(ord(c) < 32 for c in line)]
    assert not raw, raw
    for key, reason in HOSTILE.items():
        shown = printable(key)
        line = next(line for line in failed if shown[:60] in line)
        assert "refused" in line and reason in line, line
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert all(k.startswith(("in/", "out/")) for k in keys), keys
    outputs = sorted(k for k in keys if k.startswith("out/") and k.count("/") == 1 and k.endswith(".mp4"))
    assert outputs == ["out/ok.mp4", "out/x.mp4"]
    rows = read_metrics(f"s3://{bucket}/out")
    refused = rows[rows["status"] == "failed"]
    assert len(refused) == 6 and all(refused["error"].str.contains("refused"))


# 5. Secrets ----------------------------------------------------------------------------------------


SECRETS = {
    "uri_key": "AKIAURIKEY7QW3ZX9PLM",
    "uri_secret": "uRiSeCrEt/9f8e7d6c5b4a3210ZYXWVUTsrqpo",
    "fsspec_key": "AKIAFSSPEC4NB2KD8RTV",
    "fsspec_secret": "fSsPeCsEcReT+1a2b3c4d5e6f7g8h9i0jKLMNO",
    "prefect_key": "pnu_PrefectFakeKey0123456789abcdefghijk",
}


def test_secrets_never_appear_in_anything_rifeflow_writes_or_logs(clips, bucket, prefect_server, tmp_path):
    _upload(clips, bucket)
    boto3.client("s3").put_object(Bucket=bucket, Key="in/broken.mp4", Body=b"not a video")
    env = pipeline_env(prefect_server, FSSPEC_S3_KEY=SECRETS["fsspec_key"],
                       FSSPEC_S3_SECRET=SECRETS["fsspec_secret"], PREFECT_API_KEY=SECRETS["prefect_key"])
    credentials = f"{SECRETS['uri_key']}:{SECRETS['uri_secret']}@"  # a secret with a '/', as half of AWS's
    from rifeflow.engine.weights import resolve_weights

    boto3.client("s3").upload_file(str(resolve_weights("rife-hdv3").path), bucket, "weights/flownet.pkl")
    weights = ["--weights", f"s3://{credentials}{bucket}/weights/flownet.pkl"]
    runs = [run_cli(["run", f"s3://{credentials}{bucket}/in", f"s3://{credentials}{bucket}/out", *RUN_OPTIONS,
                     *weights], env),
            run_cli(["run", f"s3://{credentials}missing-bucket-x/in", f"s3://{credentials}{bucket}/out2",
                     *RUN_OPTIONS], env)]
    assert runs[0].returncode == 1 and "4 videos: 3 done, 0 skipped, 1 failed" in runs[0].stdout
    assert runs[1].returncode == 3
    secrets = [s.encode() for s in SECRETS.values()] + [SECRETS["uri_secret"].replace("/", "%2F").encode()]

    searched = {"stdout/stderr": b"".join((r.stdout + r.stderr).encode() for r in runs)}
    s3 = boto3.client("s3")
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        searched[f"s3://{bucket}/{obj['Key']}"] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    for path in Path(prefect_server["home"]).rglob("*"):
        if path.is_file():
            searched[str(path)] = path.read_bytes()
    assert len(searched) > 20
    leaks = [(where, s) for where, data in searched.items() for s in secrets if s in data]
    assert not leaks, leaks
