"""The embedded default: local folders, a LocalCluster, Prefect's own temporary API (no server given)."""
from __future__ import annotations

import json
import shutil
from collections import defaultdict

from fractions import Fraction

import av
import numpy as np
import pytest

from tests.services import pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run


def _run_chunked(source, dest, chunk, codec_args, env) -> dict:
    run = run_cli(["run", str(source), str(dest), "--chunk-frames", str(chunk), "--workers", "2", "--scale", "0.25",
                   "--exp", "2", *codec_args], env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "1 videos: 1 done, 0 skipped, 0 failed" in run.stdout
    return json.loads(next((dest / ".rifeflow" / "manifests").iterdir()).read_text())


def test_chunk_size_changes_no_frame_and_models_load_once_per_worker(videos, prefect_server, tmp_path):
    """Lossless output (ffv1) is the same bit for bit whatever the chunk size; with a lossy codec the frames
    handed to the encoder are (x264 at crf 0 is lossless, so its decoded frames are exactly those).
    Its four runs share the suite's Prefect server (a temporary API each would only add start-ups)."""
    source = tmp_path / "catalog"
    source.mkdir()
    shutil.copy(videos / "phone_rotated.mp4", source / "phone.mp4")
    env = pipeline_env(prefect_server)
    lossless, decoded = {}, {}
    for chunk in (7, 1000):
        manifest = _run_chunked(source, tmp_path / f"ffv1-{chunk}", chunk, ["--codec", "ffv1"], env)
        lossless[chunk] = (tmp_path / f"ffv1-{chunk}" / "phone.mkv").read_bytes()
        loads = defaultdict(set)
        for result in manifest["results"]:
            loads[result["pid"]].add(result["model_loads"])
        print(f"chunk {chunk}: {len(manifest['chunks'])} chunks on worker pids {dict(loads)}")
        assert all(counts == {1} for counts in loads.values())
        if chunk == 7:
            assert len(manifest["chunks"]) >= 4 and len(loads) == 2
        _run_chunked(source, tmp_path / f"x264-{chunk}", chunk, ["--crf", "0", "--preset", "ultrafast"], env)
        with av.open(str(tmp_path / f"x264-{chunk}" / "phone.mp4")) as c:
            decoded[chunk] = [(f.time, f.to_ndarray(format="yuv420p")) for f in c.decode(video=0)]
    assert lossless[7] == lossless[1000]
    assert len(decoded[7]) == len(decoded[1000]) == 120
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(decoded[7], decoded[1000]))
    # Timestamps run on across the joins: frame k at exactly k / (4 x 30000/1001) s.
    rate = Fraction(120000, 1001)
    assert [t for t, _ in decoded[7]] == [t for t, _ in decoded[1000]] == [float(k / rate) for k in range(120)]


def test_automatic_retries_of_the_run_do_not_redo_finished_or_permanently_bad_videos(videos, tmp_path):
    import pandas as pd

    source, dest = tmp_path / "catalog", tmp_path / "out"
    source.mkdir()
    shutil.copy(videos / "vp9_odd_161x121.webm", source / "bear.webm")
    (source / "notes.mp4").write_text("not a video\n")
    env = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_FLOW_DEFAULT_RETRIES="2")
    env.pop("PREFECT_API_URL", None)
    run = run_cli(["run", str(source), str(dest), "--workers", "1", "--scale", "0.25", "--heldout-frames", "2",
                   "--preset", "veryfast"], env)
    assert run.returncode == 1
    assert "2 videos: 0 done, 1 skipped, 1 failed" in run.stdout  # the last attempt's count
    rows = pd.read_parquet(dest / "metrics")
    assert rows["run_id"].nunique() == 1 and sorted(rows["run_attempt"].unique()) == [1, 2, 3]
    by = {(r.run_attempt, r.source_uri.rsplit("/", 1)[-1]): r for r in rows.itertuples()}
    assert by[(1, "bear.webm")].status == "done"
    assert [by[(a, "bear.webm")].status for a in (2, 3)] == ["skipped", "skipped"]
    assert all(by[(a, "notes.mp4")].status == "failed" and by[(a, "notes.mp4")].error_kind == "permanent"
               for a in (1, 2, 3))
    assert "not a video" in by[(3, "notes.mp4")].error
    manifest = next(json.loads(p.read_text()) for p in (dest / ".rifeflow" / "manifests").iterdir()
                    if json.loads(p.read_text())["source_uri"].endswith("notes.mp4"))
    assert manifest["status"] == "failed" and manifest["error_kind"] == "permanent"
