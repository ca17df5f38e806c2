"""Prefect's temporary server as rifeflow starts it: before Prefect is imported, stopped without leftovers."""
from __future__ import annotations

import json
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
