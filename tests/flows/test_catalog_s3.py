"""The whole catalog flow against a real S3 server on loopback, a LocalCluster of 2 workers and Prefect."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from rifeflow.video.read import probe_video
from tests.services import BIN, pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run

GOOD = {
    "vp9_odd_161x121.webm": "clips/bear.webm",
    "phone_rotated.mp4": "clips/phone/phone.mp4",
    "av1_10bit.webm": "clips/roadtrip.webm",
}


@pytest.fixture
def catalog(bucket, s3fs_clean, videos):
    fs = s3fs_clean
    for name, key in GOOD.items():
        fs.put_file(str(videos / name), f"{bucket}/in/{key}")
    fs.pipe_file(f"{bucket}/in/broken/empty.mp4", b"")
    fs.pipe_file(f"{bucket}/in/broken/notes.mp4", b"not a video at all\n")
    data = (videos / "phone_rotated.mp4").read_bytes()
    fs.pipe_file(f"{bucket}/in/broken/truncated.mp4", data[: len(data) // 3])
    fs.pipe_file(f"{bucket}/in/readme.txt", b"ignored: not a video extension")
    return fs


def _work(fs, bucket) -> dict[str, str]:
    """ETag of every output video and stored chunk under the destination."""
    fs.invalidate_cache()
    found = fs.find(f"{bucket}/out", detail=True)
    return {path: info["ETag"] for path, info in found.items()
            if "/.rifeflow/segments/" in path or ("/.rifeflow/" not in path and "/metrics/" not in path)}


def _manifests(fs, bucket):
    return [json.loads(fs.cat_file(p)) for p in fs.find(f"{bucket}/out/.rifeflow/manifests")]


def test_catalog_on_s3_outputs_manifests_failures_and_rerun(catalog, bucket, prefect_server, videos, tmp_path):
    fs = catalog
    args = ["run", f"s3://{bucket}/in", f"s3://{bucket}/out", "--workers", "2", "--scale", "0.25",
            "--chunk-frames", "16", "--preset", "veryfast"]
    env = pipeline_env(prefect_server)
    first = run_cli(args, env)
    assert first.returncode == 1, first.stderr[-3000:]  # some videos failed
    assert "6 videos: 3 done, 0 skipped, 3 failed" in first.stdout
    for bad, reason in [("empty.mp4", "empty file"), ("notes.mp4", "not a video"),
                        ("truncated.mp4", "not a video|truncated|damaged")]:
        line = next(l for l in first.stderr.splitlines() if l.startswith("failed:") and bad in l)
        assert any(r in line for r in reason.split("|")), line

    for name, key in GOOD.items():
        out_key = key.rsplit(".", 1)[0] + ".mp4"
        local = tmp_path / name
        fs.get_file(f"{bucket}/out/{out_key}", str(local))
        source, out = probe_video(str(videos / name)), probe_video(str(local))
        assert out.rate == 2 * source.rate and out.frames_decoded == 2 * source.frames
        assert [(a.codec, a.packets) for a in out.audio] == [(a.codec, a.packets) for a in source.audio]
        assert out.bit_depth == (10 if source.bit_depth > 8 else 8)
    manifests = _manifests(fs, bucket)
    done = [m for m in manifests if m["status"] == "done"]
    failed = [m for m in manifests if m["status"] == "failed"]
    assert len(done) == 3 and len(failed) == 3 and all(m["error"] for m in failed)
    for m in done:
        assert {r["index"] for r in m["results"]} == {c["index"] for c in m["chunks"]}
        assert m["source_sha256"] and m["probe"]["frames"] > 0
    # Nothing half-written is left where outputs live, and staging is empty.
    assert not fs.exists(f"{bucket}/out/.rifeflow/staging") or fs.find(f"{bucket}/out/.rifeflow/staging") == []

    # The metrics dataset reads straight from S3 through s3fs, with pyarrow and with DuckDB.
    import duckdb
    import pyarrow.dataset as ds

    table = ds.dataset(f"{bucket}/out/metrics", filesystem=fs, format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("status").to_pylist()) == ["done"] * 3 + ["failed"] * 3
    con = duckdb.connect()
    con.register_filesystem(fs)
    count = con.execute(f"select count(*) from read_parquet('s3://{bucket}/out/metrics/**/*.parquet', "
                        "hive_partitioning=true) where status = 'failed' and error is not null").fetchone()[0]
    assert count == 3
    # The run's table artifact is in Prefect, where an operator retries it.
    artifact = subprocess.run([str(BIN / "prefect"), "artifact", "inspect", "rifeflow-videos"], env=env,
                              capture_output=True, text=True)
    assert artifact.returncode == 0 and "held-out PSNR dB" in artifact.stdout and "bear.webm" in artifact.stdout

    finished = _work(fs, bucket)
    started = time.perf_counter()
    second = run_cli(args, env)
    print(f"rerun after success: {time.perf_counter() - started:.1f} s")
    assert "6 videos: 0 done, 3 skipped, 3 failed" in second.stdout
    assert finished and _work(fs, bucket) == finished  # nothing redone: every output and chunk as it was
