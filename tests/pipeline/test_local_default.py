"""The embedded default: local folders, a LocalCluster, Prefect's own temporary API (no server given)."""
from __future__ import annotations

import json
import shutil
from collections import defaultdict

from tests.pipeline.conftest import pipeline_env, run_cli


def test_chunk_size_does_not_change_a_single_bit_and_models_load_once_per_worker(videos, tmp_path):
    source = tmp_path / "catalog"
    source.mkdir()
    shutil.copy(videos / "exo_video_1_phone.mp4", source / "phone.mp4")
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
