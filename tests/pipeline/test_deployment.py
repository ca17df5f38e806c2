"""prefect.yaml deploys to a real Prefect server, and a run of the deployment completes on a process worker."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.pipeline.conftest import BIN, pipeline_env, stop

REPO = Path(__file__).resolve().parents[2]


def prefect(args, env, timeout=300):
    proc = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    print(f"$ prefect {' '.join(args)} -> {proc.returncode}\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return proc


def test_deploy_and_run_from_prefect_yaml(prefect_server, videos, tmp_path):
    env = pipeline_env(prefect_server)
    source, dest = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    shutil.copy(videos / "exo_bear_vp9_odd_161x121.webm", source / "bear.webm")

    created = prefect(["work-pool", "create", "rifeflow-pool", "--type", "process", "--overwrite"], env)
    assert created.returncode == 0
    deployed = prefect(["--no-prompt", "deploy", "--all"], env)
    assert deployed.returncode == 0 and "interpolate-catalog/nightly" in deployed.stdout

    listed = prefect(["deployment", "inspect", "interpolate-catalog/nightly"], env)
    assert "0 2 * * *" in listed.stdout and "rifeflow-pool" in listed.stdout

    worker_log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "rifeflow-pool"], env=env, cwd=REPO,
                              stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        params = {"config": {"source_uri": str(source), "dest_uri": str(dest), "workers": 1, "scale": 0.25,
                             "chunk_frames": 16, "preset": "veryfast", "heldout_frames": 2}}
        run = prefect(["deployment", "run", "interpolate-catalog/nightly", "--params", json.dumps(params),
                       "--watch", "--watch-timeout", "600"], env, timeout=660)
        assert run.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]
        assert re.search(r"COMPLETED|Completed", run.stdout + run.stderr)
    finally:
        stop(worker)
        worker_log.close()
    assert (dest / "bear.mp4").stat().st_size > 0
