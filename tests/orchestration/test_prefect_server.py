"""Prefect's temporary server as rifeflow starts it: before Prefect is imported, stopped without leftovers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from rifeflow.orchestration.prefect_api import quiet_prefect_env
from rifeflow.orchestration.prefect_server import TemporaryServer

pytestmark = pytest.mark.slow  # servers or a browser


def test_temporary_server_answers_and_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    quiet_prefect_env()
    server = TemporaryServer()
    process = server.process
    try:
        url = server.wait_ready(90)
        assert url == f"http://127.0.0.1:{server.port}/api"
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) is True
    finally:
        server.stop()
    assert process.poll() is not None
    assert server.process is None
    server.stop()  # a second stop is harmless


ON_A_WORKER = r"""
import json
from pathlib import Path

from rifeflow.orchestration.prefect_api import quiet_prefect_env, shared_prefect_api

quiet_prefect_env()
from prefect import flow, task

from rifeflow.orchestration.dask_cluster import dask_cluster, shared_task_runner


@task
def bundle_seen_here() -> dict:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_SSL_CERT_FILE

    with get_client(sync_client=True) as client:  # a client built from that bundle still reaches the API
        answered = client.hello().status_code
    path = PREFECT_API_SSL_CERT_FILE.value()
    return {"path": path, "certificates": Path(path).read_text().count("BEGIN CERTIFICATE"), "answered": answered}


with dask_cluster(None, 1) as cluster, shared_prefect_api(), shared_task_runner(cluster.address) as runner:
    seen = flow(task_runner=runner)(lambda: bundle_seen_here.submit().result())()
print(json.dumps({**seen, "exists_after": Path(seen["path"]).exists()}))
"""


def _bundle_on_a_worker(tmp_path, env_extra: dict) -> dict:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    env.update(env_extra)
    done = subprocess.run([sys.executable, "-c", ON_A_WORKER], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_clients_of_the_temporary_server_load_one_certificate_not_a_bundle(tmp_path):
    """Every Prefect client builds a TLS context from a CA bundle, even for plain HTTP: on the temporary
    server's runs, a task on a Dask worker gets a one-certificate file that lasts as long as the API."""
    import certifi

    seen = _bundle_on_a_worker(tmp_path, {})
    assert seen["certificates"] == 1 and seen["path"] != certifi.where()
    assert seen["answered"] == 200
    assert seen["exists_after"] is False


def test_an_api_the_settings_name_keeps_the_bundle_they_name(tmp_path, prefect_server):
    import certifi

    seen = _bundle_on_a_worker(tmp_path, {"PREFECT_API_URL": prefect_server["url"],
                                          "PREFECT_API_SSL_CERT_FILE": certifi.where()})
    assert seen["path"] == certifi.where() and seen["certificates"] > 1
    assert seen["answered"] == 200
