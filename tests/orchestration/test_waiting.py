"""The chunk-timeout path: waiting on real Prefect task futures on a real Dask LocalCluster.

A video's chunks are awaited with an inactivity timeout (Dask does not enforce Prefect's task
timeouts): when nothing finishes for that long the wait fails, and whatever ends the wait, the
siblings still running are cancelled rather than left working unobserved.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.services import pipeline_env

pytestmark = pytest.mark.slow

SCRIPT = r"""
import json, time
from prefect import flow, task
from prefect_dask import DaskTaskRunner
from rifeflow.orchestration.waiting import StalledError, as_finished

@task
def nap(seconds):
    time.sleep(seconds)
    return seconds

@task(retries=0)
def boom():
    raise ValueError("clip.mp4: chunk 3 is corrupt")

def wait(futures, timeout_s):
    got, error, started = [], None, time.monotonic()
    try:
        for result in as_finished(futures, timeout_s, "clip.mp4"):
            got.append(result)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    waited = time.monotonic() - started
    time.sleep(1)  # let the scheduler report the cancellation
    return {"got": got, "error": error, "waited": waited, "status": [f.wrapped_future.status for f in futures],
            "states": [f.state.name for f in futures]}

@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                                 "dashboard_address": None}))
def chunks():
    stalled = wait([nap.submit(0.2), nap.submit(600)], timeout_s=6)
    failed = wait([boom.submit(), nap.submit(600)], timeout_s=60)
    return {"stalled": stalled, "failed": failed}

print("RESULT " + json.dumps(chunks()))
"""


def test_a_stalled_chunk_fails_the_wait_and_a_failed_one_cancels_its_siblings(prefect_server):
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=pipeline_env(prefect_server), capture_output=True,
                          text=True, timeout=300)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-4000:]
    result = json.loads(line[len("RESULT "):])

    stalled = result["stalled"]
    assert stalled["got"] == [0.2]  # what finished is handed over before the wait gives up
    assert stalled["error"] == "StalledError: clip.mp4: nothing finished within 6 s; 1 tasks cancelled"
    assert 6 <= stalled["waited"] < 60  # it gave up after the timeout, long before the 600 s chunk would end
    assert stalled["status"] == ["finished", "cancelled"]

    failed = result["failed"]
    assert failed["got"] == [] and failed["error"] == "ValueError: clip.mp4: chunk 3 is corrupt"
    # Prefect's task caught its error into a Failed state, so its Dask future finished; the sibling was cancelled.
    assert failed["waited"] < 60 and failed["status"] == ["finished", "cancelled"]
    assert failed["states"][0] == "Failed" and stalled["states"][0] == "Completed"
