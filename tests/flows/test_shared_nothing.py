"""Workers on separate machines, rehearsed: each worker process has its own TMPDIR, and every byte
between the flow and a worker, or between two workers, goes through the moto S3 server."""
from __future__ import annotations

import time
from collections import defaultdict

import pytest

from rifeflow.storage.scratch import KEEP_COPIES
from tests.services import pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run

CLIPS = {"vp9_odd_161x121.webm": "a/bear.webm", "phone_rotated.mp4": "a/phone.mp4",
         "av1_10bit.webm": "b/road.webm", "scene_cut_streams.mp4": "b/nasa.mp4"}
ARGS = ["--scale", "0.25", "--chunk-frames", "24", "--preset", "veryfast", "--heldout-frames", "4"]


# Every video starts as one short-video task (prepare, and for a one-chunk video everything); a longer one
# goes on as chunks and a stitch. The held-out check runs inside the chunks.
STAGES = ("short_video", "interpolate_chunk", "stitch")


def _stage(record: dict) -> str | None:
    key = str(record["key"])
    return next((s for s in STAGES if s in key or s.replace("_", "-") in key), None)


def test_separate_workers_share_nothing_but_storage_and_match_one_worker(
        bucket, s3fs_clean, videos, prefect_server, dask_processes, tmp_path):
    fs = s3fs_clean
    for name, key in CLIPS.items():
        fs.put_file(str(videos / name), f"{bucket}/in/{key}")
    env = pipeline_env(prefect_server)

    solo = dask_processes(env)
    solo.add_worker("solo", tmpdir=tmp_path / "tmp-solo")
    solo.wait_for_workers(1)
    one = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/one", "--scheduler", solo.address, *ARGS], env)
    assert one.returncode == 0, one.stderr[-3000:]
    solo.close()

    cluster = dask_processes(env)
    for i in range(3):
        cluster.add_worker(f"w{i}", tmpdir=tmp_path / f"tmp-w{i}")
    workers = cluster.wait_for_workers(3)
    with cluster.client() as client:
        client.get_task_stream(start=time.time())  # installs the scheduler's task-stream plugin
    since = time.time()
    many = run_cli(["run", f"s3://{bucket}/in", f"s3://{bucket}/many", "--scheduler", cluster.address,
                    "--videos-in-flight", "4", *ARGS], env)
    assert many.returncode == 0, many.stderr[-3000:]
    assert "4 videos: 4 done, 0 skipped, 0 failed" in many.stdout
    with cluster.client() as client:
        stream = client.get_task_stream(start=since)

    for key in CLIPS.values():
        out = key.rsplit(".", 1)[0] + ".mp4"
        assert fs.cat_file(f"{bucket}/many/{out}") == fs.cat_file(f"{bucket}/one/{out}"), out

    # Every stage ran on the workers, spread over all three, with several videos in flight at once.
    by_stage = defaultdict(set)
    for record in stream:
        by_stage[_stage(record)].add(record["worker"])
    print(f"\nstages by worker: { {k: len(v) for k, v in by_stage.items()} }")
    assert set(STAGES) <= set(by_stage)
    assert set().union(*by_stage.values()) == set(workers)
    starts = defaultdict(list)
    for record in stream:
        starts[_stage(record)].append(record["startstops"][0]["start"])
    assert len(starts["short_video"]) == 4 and 1 <= len(starts["stitch"]) <= 4
    assert sum(1 for t in starts["short_video"] if t < min(starts["stitch"])) >= 2  # videos overlapped
    # Each worker used its own scratch folder only, and keeps at most a bounded number of source copies
    # (a stitch releases its worker's copy; one prepared elsewhere waits there to be pruned).
    for i in range(3):
        own = tmp_path / f"tmp-w{i}" / "rifeflow-scratch"
        assert len([p for p in own.iterdir() if p.is_dir()]) <= 1  # one worker process, one folder
        copies = [p for p in own.rglob("source*") if p.is_file()]
        assert len(copies) <= KEEP_COPIES
