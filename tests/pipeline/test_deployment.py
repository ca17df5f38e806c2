"""prefect.yaml on a real Prefect server and a process worker: a run with a broken video ends Failed,
and retrying it, as the UI's Retry button does, finishes the catalog without touching what was done.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import psutil

from tests.pipeline.conftest import BIN, pipeline_env, stop

REPO = Path(__file__).resolve().parents[2]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def prefect(args, env, timeout=300):
    proc = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    print(f"$ prefect {' '.join(args)} -> {proc.returncode}\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return proc


def api(url: str, path: str, body: dict | None = None):
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_terminal(url: str, run_id: str, timeout: float = 600) -> dict:
    """The run once it is in a final state and the process that ran it has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(url, f"/flow_runs/{run_id}")
        pid = int(str(run.get("infrastructure_pid") or "0").rsplit(":", 1)[-1] or 0)
        if run["state_type"] in TERMINAL and not (pid and psutil.pid_exists(pid)):
            return run
        time.sleep(1)
    tree = subprocess.run(["ps", "-ef", "--forest"], capture_output=True, text=True).stdout
    raise TimeoutError(f"flow run {run_id} still {run['state_type']} after {timeout} s:\n{tree[-4000:]}")


def _outputs(dest: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in dest.glob("*.mp4")}


def test_failed_video_fails_the_run_and_a_retry_resumes_it(prefect_server, videos, tmp_path):
    env = pipeline_env(prefect_server)
    url = prefect_server["url"]
    source, dest = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    shutil.copy(videos / "exo_bear_vp9_odd_161x121.webm", source / "bear.webm")
    shutil.copy(videos / "exo_video_1_phone.mp4", source / "phone.mp4")
    good = (videos / "exo_video_1_phone.mp4").read_bytes()
    (source / "late.mp4").write_bytes(good[: len(good) // 3])  # truncated, as an upload cut short

    assert prefect(["work-pool", "create", "rifeflow-pool", "--type", "process", "--overwrite"], env).returncode == 0
    deployed = prefect(["--no-prompt", "deploy", "--all"], env)
    assert deployed.returncode == 0 and "interpolate-catalog/nightly" in deployed.stdout
    listed = prefect(["deployment", "inspect", "interpolate-catalog/nightly"], env)
    assert "0 2 * * *" in listed.stdout and "rifeflow-pool" in listed.stdout
    deployment = api(url, "/deployments/name/interpolate-catalog/nightly")
    limit = (deployment.get("global_concurrency_limit") or {}).get("limit", deployment.get("concurrency_limit"))
    assert limit == 1 and deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE", deployment

    worker_log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "rifeflow-pool"], env=env, cwd=REPO,
                              stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        params = {"config": {"source_uri": str(source), "dest_uri": str(dest), "workers": 1, "scale": 0.25,
                             "chunk_frames": 16, "preset": "veryfast", "heldout_frames": 2}}
        started = prefect(["deployment", "run", "interpolate-catalog/nightly", "--params", json.dumps(params)], env)
        assert started.returncode == 0
        run_id = re.search(r"UUID: ([0-9a-f-]{36})", started.stdout)[1]
        first = wait_terminal(url, run_id)
        log = (tmp_path / "worker.log").read_text()[-3000:]
        assert first["state_type"] == "FAILED", log
        message = first["state"]["message"]
        assert "3 videos: 2 done, 0 skipped, 1 failed" in message and "late.mp4" in message, message
        before = _outputs(dest)
        assert sorted(before) == ["bear.mp4", "phone.mp4"]

        (source / "late.mp4").write_bytes(good)  # the upload completed
        assert prefect(["flow-run", "retry", run_id], env).returncode == 0
        second = wait_terminal(url, run_id, timeout=300)
        assert second["state_type"] == "COMPLETED", (tmp_path / "worker.log").read_text()[-3000:]
        assert second["run_count"] == 2
    finally:
        stop(worker)
        worker_log.close()
    after = _outputs(dest)
    assert sorted(after) == ["bear.mp4", "late.mp4", "phone.mp4"]
    assert {name: after[name] for name in before} == before  # same bytes, same modification time
    rows = pd.read_parquet(dest / "metrics")
    assert set(rows["run_id"]) == {run_id}
    retry = rows[rows["run_attempt"] == 2]
    assert dict(zip(retry["source_uri"].map(lambda u: Path(u).name), retry["status"])) == {
        "bear.webm": "skipped", "phone.mp4": "skipped", "late.mp4": "done"}
    first_attempt = rows[rows["run_attempt"] == 1]
    assert first_attempt.loc[first_attempt["source_uri"].str.endswith("late.mp4"), "error_kind"].tolist() == ["permanent"]
