"""Stopping and waiting with real signals and real processes: SIGTERM to the command's process group (what
`timeout` and a terminal's job control send), SIGTERM to its main process alone (Kubernetes, systemd) and
SIGINT each end the run within 30 s, leave the Prefect run Crashed or Cancelled, release every lease and
publish nothing partial; the rerun resumes. A lease held by another run, and a worker that stops
answering, are waited on for the stated bound only."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from rifeflow.video.sample import make_sample_clip
from tests.services import RIFEFLOW, DaskProcesses, pipeline_env, run_cli, stop

pytestmark = [pytest.mark.slow, pytest.mark.faults]

RUN = ["--workers", "1", "--scale", "0.5", "--chunk-frames", "12", "--heldout-frames", "0", "--preset", "ultrafast",
       "-v"]  # -v: the log says when chunks start


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stopping")
    for i in range(6):
        make_sample_clip(str(folder / f"clip{i}.mp4"), seconds=3.0, size=128, fps=25)
    return folder


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([RIFEFLOW, *args], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_for_work(log: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Until the run says it is interpolating a video's chunks (its flow runs, its tasks are on the workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "to interpolate" in log.read_text():
            time.sleep(2)
            return
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before any work"
        time.sleep(0.2)
    raise TimeoutError("no work started")


def _signal_and_wait(proc: subprocess.Popen, send) -> tuple[int, float]:
    sent = time.monotonic()
    send()
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return code, time.monotonic() - sent


def _left_running(pid: int) -> list[str]:
    """Processes the stopped command left behind: its workers and its Prefect server would show its pid as an
    ancestor, or (the server runs in a session of its own) its command line."""
    import psutil

    leftovers = []
    for p in psutil.process_iter(["pid", "cmdline", "environ"]):
        try:
            if p.info["pid"] != pid and any(pid == a.pid for a in p.parents()):
                leftovers.append(" ".join(p.info["cmdline"] or []))
        except psutil.Error:
            continue
    return leftovers


def _leases(dest: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in dest.glob(".rifeflow/leases/*/*.json")]


def _assert_stopped_cleanly(proc: subprocess.Popen, code: int, took: float, expected: int, dest: Path, log: Path):
    text = log.read_text()
    print(f"\n$ rifeflow run -> exit {code} {took:.1f} s after the signal\n{text[-2500:]}")
    assert code == expected and took < 30, text[-3000:]
    assert _left_running(proc.pid) == []
    assert all(lease["released"] for lease in _leases(dest)), _leases(dest)
    partial = [str(p) for p in dest.rglob("*") if p.name.endswith(".partial")]
    assert partial == [] and list(dest.glob(".rifeflow/staging/*/*")) == []
    for output in dest.glob("*.mp4"):  # every published output is whole
        assert subprocess.run([RIFEFLOW, "interpolate", "--help"], capture_output=True).returncode == 0
        assert output.stat().st_size > 1000


def test_sigterm_or_sigint_stops_a_run_in_order_and_the_rerun_resumes(catalog, prefect_server, tmp_path):
    dest = tmp_path / "out"
    args = ["run", str(catalog), str(dest), *RUN]
    # 1. SIGTERM to the whole process group, on Prefect's temporary server (no API configured): the server
    #    must outlive the flow's last report, and the command must not hang at exit.
    own = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"))
    own.pop("PREFECT_API_URL", None)
    proc = _start(args, own, tmp_path / "group.log")
    _wait_for_work(tmp_path / "group.log", proc)
    code, took = _signal_and_wait(proc, lambda: os.killpg(proc.pid, signal.SIGTERM))
    _assert_stopped_cleanly(proc, code, took, 143, dest, tmp_path / "group.log")

    # 2. SIGTERM to the main process only, on a real Prefect server: the run is left Crashed or Cancelled there.
    env = pipeline_env(prefect_server)
    proc = _start(args, env, tmp_path / "main.log")
    _wait_for_work(tmp_path / "main.log", proc)
    code, took = _signal_and_wait(proc, lambda: os.kill(proc.pid, signal.SIGTERM))
    _assert_stopped_cleanly(proc, code, took, 143, dest, tmp_path / "main.log")
    assert _latest_catalog_state(prefect_server["url"]) in ("CRASHED", "CANCELLED")

    # 3. SIGINT (Ctrl-C) to the main process: exit 130.
    proc = _start(args, env, tmp_path / "int.log")
    _wait_for_work(tmp_path / "int.log", proc)
    code, took = _signal_and_wait(proc, lambda: os.kill(proc.pid, signal.SIGINT))
    _assert_stopped_cleanly(proc, code, took, 130, dest, tmp_path / "int.log")

    done_before = sorted(p.name for p in dest.glob("*.mp4"))
    rerun = run_cli(args, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"6 videos: {6 - len(done_before)} done, {len(done_before)} skipped, 0 failed" in rerun.stdout


def _latest_catalog_state(url: str) -> str:
    import urllib.request

    # the command's own runs: a deployment on this server (test_deployment) schedules runs of its own
    body = json.dumps({"flows": {"name": {"any_": ["interpolate-catalog"]}},
                       "flow_runs": {"deployment_id": {"is_null_": True}}, "sort": "START_TIME_DESC",
                       "limit": 1}).encode()
    request = urllib.request.Request(f"{url}/flow_runs/filter", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(request, timeout=30) as response:
            state = json.loads(response.read())[0]["state_type"]
        if state not in ("RUNNING", "PENDING") or time.monotonic() > deadline:
            return state
        time.sleep(1)


def test_a_lease_held_by_another_run_is_waited_for_only_as_long_as_asked(catalog, tmp_path):
    from rifeflow.storage import leases, store

    source = tmp_path / "in"
    source.mkdir()
    (source / "clip0.mp4").write_bytes((catalog / "clip0.mp4").read_bytes())
    dest = tmp_path / "out"
    output = str(dest / "clip0.mp4")
    held, _ = leases.try_acquire(str(dest), output, "another-run")  # alive: this process holds it
    assert held is not None
    env = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_API_URL", None)
    started = time.monotonic()
    run = run_cli(["run", str(source), str(dest), *RUN, "--lease-wait", "4"], env)
    assert run.returncode == 1 and time.monotonic() - started < 120, run.stderr[-3000:]
    assert "run another-run has held it for over 4 s" in run.stderr
    assert leases.current(str(dest), output).owner == "another-run"  # never taken from its holder
    assert not store.exists(output)


def _wait_until_processing(cluster: DaskProcesses, name: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    with cluster.client() as client:
        while time.monotonic() < deadline:
            if any(name in str(key) for keys in client.processing().values() for key in keys):
                return
            assert proc.poll() is None, "the run ended before its task reached the worker"
            time.sleep(0.2)
    raise TimeoutError(f"no {name} task on the worker")


def test_a_worker_that_stops_answering_fails_its_video_within_the_task_timeout(catalog, prefect_server, tmp_path):
    env = pipeline_env(prefect_server)
    cluster = DaskProcesses(tmp_path, env)
    cluster.add_worker("paused")
    proc = None
    try:
        cluster.wait_for_workers(1)
        with cluster.client() as client:
            pid = next(iter(client.run(os.getpid).values()))
        source = tmp_path / "in"
        source.mkdir()
        make_sample_clip(str(source / "long.mp4"), seconds=8.0, size=192, fps=25)
        proc = _start(["run", str(source), str(tmp_path / "out"), *RUN, "--scheduler", cluster.address,
                       "--task-timeout", "15"], env, tmp_path / "paused.log")
        _wait_until_processing(cluster, "interpolate_short_video", proc)
        os.kill(pid, signal.SIGSTOP)  # a worker that hangs: its process is there, it answers nothing
        try:
            code = proc.wait(timeout=180)
        finally:
            os.kill(pid, signal.SIGCONT)
        text = (tmp_path / "paused.log").read_text()
        print(text[-3000:])
        assert code == 1 and "nothing finished within 15 s" in text, text[-3000:]
    finally:
        if proc is not None and proc.poll() is None:
            stop(proc)
        cluster.close()


def test_cancelling_a_deployment_run_from_the_ui_stops_it_in_order(catalog, prefect_server, tmp_path):
    """The UI's Cancel sets the run Cancelling; the process worker's runner then sends the flow-run process
    SIGTERM: the run ends Cancelled within 30 s of the button, its workers gone, leases released, nothing
    partial published, and the next run resumes."""
    import psutil

    from tests.flows.test_deployment import REPO, api, prefect, wait_terminal
    from tests.services import BIN

    env = pipeline_env(prefect_server)
    url, dest = prefect_server["url"], tmp_path / "out"
    assert prefect(["work-pool", "create", "rifeflow-pool", "--type", "process", "--overwrite"], env).returncode == 0
    assert prefect(["--no-prompt", "deploy", "--all"], env).returncode == 0
    worker_log = tmp_path / "worker.log"
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "rifeflow-pool"], env=env,
                              cwd=REPO, stdout=open(worker_log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        config = {"source_uri": str(catalog), "dest_uri": str(dest), "workers": 1, "scale": 0.5, "chunk_frames": 12,
                  "heldout_frames": 0, "preset": "ultrafast"}
        started = prefect(["deployment", "run", "interpolate-catalog/nightly", "--params",
                           json.dumps({"config": config})], env)
        run_id = started.stdout.split("UUID: ")[1].split()[0]
        deadline = time.monotonic() + 300
        while not list(dest.glob(".rifeflow/segments/**/*.json")):  # a chunk has finished: work is under way
            assert time.monotonic() < deadline, worker_log.read_text()[-3000:]
            time.sleep(0.5)
        run = api(url, f"/flow_runs/{run_id}")
        pid = int(str(run["infrastructure_pid"]).rsplit(":", 1)[-1])
        family = [pid, *(p.pid for p in psutil.Process(pid).children(recursive=True))]
        pressed = time.monotonic()
        api(url, f"/flow_runs/{run_id}/set_state", {"state": {"type": "CANCELLING", "name": "Cancelling"}})
        final = wait_terminal(url, run_id, timeout=120)
        took = time.monotonic() - pressed
        print(f"\ncancelled: {final['state_type']} {took:.1f} s after the button\n{worker_log.read_text()[-2500:]}")
        assert final["state_type"] == "CANCELLED" and took < 30
        time.sleep(2)
        assert [p for p in family if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"] == []
        assert all(lease["released"] for lease in _leases(dest)), _leases(dest)
        assert [str(p) for p in dest.rglob("*") if p.name.endswith(".partial")] == []
        assert list(dest.glob(".rifeflow/staging/*/*")) == []
    finally:
        stop(worker)
    done_before = sorted(p.name for p in dest.glob("*.mp4"))
    rerun = run_cli(["run", str(catalog), str(dest), *RUN], env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"6 videos: {6 - len(done_before)} done, {len(done_before)} skipped, 0 failed" in rerun.stdout
