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
import pytest

from tests.services import BIN, pipeline_env, stop

pytestmark = pytest.mark.slow  # a catalog run

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
    shutil.copy(videos / "vp9_odd_161x121.webm", source / "bear.webm")
    shutil.copy(videos / "phone_rotated.mp4", source / "phone.mp4")
    good = (videos / "phone_rotated.mp4").read_bytes()
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


def test_prefect_yaml_takes_the_bucket_at_deploy_time_and_sets_the_workers_environment(prefect_server, tmp_path):
    from rifeflow.manifests.config import CatalogConfig

    url = prefect_server["url"]
    env = pipeline_env(prefect_server, RIFEFLOW_SOURCE_URI="s3://studio-renders/latentsync",
                       RIFEFLOW_DEST_URI="s3://studio-renders/interpolated")
    assert prefect(["work-pool", "create", "rifeflow-pool", "--type", "process", "--overwrite"], env).returncode == 0
    assert prefect(["--no-prompt", "deploy", "--all"], env).returncode == 0
    deployment = api(url, "/deployments/name/interpolate-catalog/nightly")
    config = deployment["parameters"]["config"]
    assert (config["source_uri"], config["dest_uri"]) == ("s3://studio-renders/latentsync",
                                                          "s3://studio-renders/interpolated")
    CatalogConfig(**config)  # what the UI's Run button sends validates as it is
    assert deployment["job_variables"]["env"]["RIFEFLOW_RUN_TIMEOUT_S"] == "72000"
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 2 * * *"]

    # The flow-run process runs under those job variables: that is the run's time limit, read when it starts.
    probe = subprocess.run([str(BIN / "python"), "-c", "from rifeflow.settings import settings; "
                            "print(settings().run_timeout_s)"], cwd=REPO, capture_output=True, text=True,
                           env={**env, **deployment["job_variables"]["env"]}, timeout=120)
    assert probe.stdout.split()[-1] == "72000.0", probe.stderr[-2000:]

    # Deployed without the variables: Prefect leaves the fields empty, and a run refuses them by name.
    bare = {k: v for k, v in env.items() if not k.startswith("RIFEFLOW_")}
    assert prefect(["--no-prompt", "deploy", "--all"], bare).returncode == 0
    unfilled = api(url, "/deployments/name/interpolate-catalog/nightly")["parameters"]["config"]
    with pytest.raises(ValueError, match=r"source_uri is empty or an unfilled prefect.yaml placeholder .*set RIFEFLOW_SOURCE_URI"):
        CatalogConfig(**unfilled)


def test_a_run_past_its_time_limit_ends_in_one_line_and_the_rerun_resumes(tmp_path):
    from rifeflow.video.sample import make_sample_clip
    from tests.services import run_cli

    source, dest = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    for i in range(8):
        make_sample_clip(str(source / f"clip{i}.mp4"), seconds=2.0, size=64, fps=25)
    env = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"), RIFEFLOW_RUN_TIMEOUT_S="6")
    env.pop("PREFECT_API_URL", None)
    args = ["run", str(source), str(dest), "--workers", "1", "--videos-in-flight", "1", "--heldout-frames", "0"]
    stopped = run_cli(args, env)
    assert stopped.returncode == 1, stopped.stderr[-3000:]
    assert any(line.startswith("rifeflow: error: the run stopped at its time limit")
               for line in stopped.stderr.splitlines()), stopped.stderr[-3000:]
    assert "Traceback" not in stopped.stderr
    finished = sorted(p.name for p in dest.glob("*.mp4"))
    assert len(finished) < 8
    # The stopped run still published the rows of what it finished (and no file when nothing did).
    published = pd.read_parquet(dest / "metrics") if (dest / "metrics").exists() else pd.DataFrame({"status": []})
    done = published[published["status"] == "done"]
    assert sorted(Path(u).name for u in done.get("output_uri", [])) == finished
    env.pop("RIFEFLOW_RUN_TIMEOUT_S")
    rerun = run_cli(args, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"8 videos: {8 - len(finished)} done, {len(finished)} skipped, 0 failed" in rerun.stdout
