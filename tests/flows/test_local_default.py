"""The embedded default: local folders, a LocalCluster, Prefect's own temporary API (no server given)."""
from __future__ import annotations

import json
import shutil
from collections import defaultdict

import pytest

from tests.services import pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run


def test_chunk_size_does_not_change_a_single_bit_and_models_load_once_per_worker(videos, tmp_path):
    source = tmp_path / "catalog"
    source.mkdir()
    shutil.copy(videos / "phone_rotated.mp4", source / "phone.mp4")
    env = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_API_URL", None)
    outputs = {}
    for chunk in (7, 1000):
        dest = tmp_path / f"out-{chunk}"
        run = run_cli(["run", str(source), str(dest), "--chunk-frames", str(chunk), "--workers", "2",
                       "--scale", "0.5", "--exp", "2"], env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "1 videos: 1 done, 0 skipped, 0 failed" in run.stdout
        outputs[chunk] = (dest / "phone.mp4").read_bytes()
        manifest = json.loads(next((dest / ".rifeflow" / "manifests").iterdir()).read_text())
        loads = defaultdict(set)
        for result in manifest["results"]:
            loads[result["pid"]].add(result["model_loads"])
        print(f"chunk {chunk}: {len(manifest['chunks'])} chunks on worker pids {dict(loads)}")
        assert all(counts == {1} for counts in loads.values())
        if chunk == 7:
            assert len(manifest["chunks"]) >= 4 and len(loads) == 2
    assert outputs[7] == outputs[1000]


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
