"""An existing Dask cluster, as GPU workers are used in production: scheduler and workers as processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from tests.services import RIFEFLOW, pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run


def _upload(fs, bucket, videos, names):
    for name in names:
        fs.put_file(str(videos / name), f"{bucket}/in/{name}")


def _chunk_records(cluster, since):
    with cluster.client() as client:
        stream = client.get_task_stream(start=since)
    return [r for r in stream if "interpolate_chunk" in str(r["key"]) or "interpolate-chunk" in str(r["key"])]


def _start_recording(cluster):
    with cluster.client() as client:
        client.get_task_stream(start=time.time())  # installs the scheduler's task-stream plugin
    return time.time()


def test_interpolation_runs_only_on_the_gpu_worker_and_falls_back_without_one(
        bucket, s3fs_clean, videos, prefect_server, dask_processes):
    _upload(s3fs_clean, bucket, videos, ["vp9_odd_161x121.webm"])
    env = pipeline_env(prefect_server)
    args = ["run", f"s3://{bucket}/in", None, "--scale", "0.25", "--chunk-frames", "4", "--preset", "veryfast"]

    cluster = dask_processes(env)
    cluster.add_worker("gpu-0", gpu=True)
    cluster.add_worker("cpu-0")
    workers = cluster.wait_for_workers(2)
    gpu_address = next(a for a, w in workers.items() if w.get("resources", {}).get("GPU"))
    since = _start_recording(cluster)
    args[2] = f"s3://{bucket}/out-gpu"
    run = run_cli(args + ["--scheduler", cluster.address], env)
    assert run.returncode == 0, run.stderr[-3000:]
    records = _chunk_records(cluster, since)
    print(f"chunk tasks by worker: {sorted((r['worker'], str(r['key'])[:40]) for r in records)}")
    assert len(records) >= 7 and {r["worker"] for r in records} == {gpu_address}
    cluster.close()

    plain = dask_processes(env)
    plain.add_worker("cpu-a")
    plain.add_worker("cpu-b")
    workers = plain.wait_for_workers(2)
    since = _start_recording(plain)
    args[2] = f"s3://{bucket}/out-cpu"
    run = run_cli(args + ["--scheduler", plain.address, "--chunk-timeout", "300"], env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    records = _chunk_records(plain, since)
    assert len(records) >= 7 and {r["worker"] for r in records} == set(workers)


def test_a_killed_worker_does_not_change_the_output(bucket, s3fs_clean, videos, prefect_server, dask_processes):
    fs = s3fs_clean
    _upload(fs, bucket, videos, ["phone_rotated.mp4"])
    env = pipeline_env(prefect_server)
    base = ["--scale", "0.5", "--chunk-frames", "4", "--preset", "veryfast"]
    # Same torch thread count as the two-worker cluster below (float sums depend on it).
    reference = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/ref", "--workers", "2", *base], env)
    assert reference.returncode == 0, reference.stderr[-3000:]

    cluster = dask_processes(env)
    cluster.add_worker("steady")
    cluster.add_worker("doomed", nanny=False)
    cluster.wait_for_workers(2)
    doomed = cluster.procs["doomed"]
    killed = threading.Event()

    def kill_when_busy():
        with cluster.client() as client:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not killed.is_set():
                processing = client.processing()
                busy = [w for w, keys in processing.items() if keys and any("interpolate" in str(k) for k in keys)]
                info = client.scheduler_info(n_workers=-1)["workers"]
                doomed_addr = [a for a, w in info.items() if w.get("name") == "doomed"]
                if doomed_addr and doomed_addr[0] in busy:
                    time.sleep(1.0)  # well inside the chunk
                    os.killpg(doomed.pid, signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.2)

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    killer.start()
    run = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/out", "--scheduler", cluster.address, *base], env)
    killer.join(timeout=5)
    assert killed.is_set(), "the worker was never seen running a chunk"
    assert run.returncode == 0, run.stderr[-3000:]
    assert fs.cat_file(f"{bucket}/out/phone_rotated.mp4") == fs.cat_file(f"{bucket}/ref/phone_rotated.mp4")


def test_a_crashed_run_resumes_with_only_unfinished_chunks(bucket, s3fs_clean, videos, prefect_server):
    fs = s3fs_clean
    _upload(fs, bucket, videos, ["phone_rotated.mp4"])
    env = pipeline_env(prefect_server)
    args = ["run", f"s3://{bucket}/in", f"s3://{bucket}/out", "--workers", "1", "--scale", "0.5",
            "--chunk-frames", "3", "--preset", "veryfast"]
    proc = subprocess.Popen([RIFEFLOW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    manifest_dir = f"{bucket}/out/.rifeflow/manifests"
    deadline = time.monotonic() + 300
    first = None
    while time.monotonic() < deadline:
        fs.invalidate_cache()
        paths = fs.find(manifest_dir) if fs.exists(manifest_dir) else []
        if paths:
            manifest = json.loads(fs.cat_file(paths[0]))
            if len(manifest["results"]) >= 3:
                first = manifest
                break
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first is not None, "the run never recorded three chunks"
    assert not fs.exists(f"{bucket}/out/phone_rotated.mp4")
    fs.invalidate_cache()
    crashed = json.loads(fs.cat_file(fs.find(manifest_dir)[0]))
    done_before = {r["index"]: r for r in crashed["results"]}
    assert 3 <= len(done_before) < len(crashed["chunks"])

    rerun = run_cli(args, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    fs.invalidate_cache()
    final = json.loads(fs.cat_file(fs.find(manifest_dir)[0]))
    assert final["status"] == "done"
    rerun_pids = {r["pid"] for i, r in enumerate(final["results"]) if r["index"] not in done_before}
    for index, before in done_before.items():
        assert final["results"][index] == before  # untouched: not run again
    assert not rerun_pids & {r["pid"] for r in done_before.values()}
    print(f"chunks done before the crash: {sorted(done_before)}; rerun did {len(final['chunks']) - len(done_before)}")

    clean = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/clean", "--workers", "1", "--scale", "0.5",
                     "--chunk-frames", "3", "--preset", "veryfast"], env)
    assert clean.returncode == 0
    assert fs.cat_file(f"{bucket}/out/phone_rotated.mp4") == fs.cat_file(f"{bucket}/clean/phone_rotated.mp4")
