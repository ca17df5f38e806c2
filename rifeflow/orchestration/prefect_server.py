"""Prefect's temporary API server, started before this process imports Prefect.

Prefect starts the same server (uvicorn serving `prefect.server.api.server:create_app`)
when a flow runs without PREFECT_API_URL, but only after the calling process has
imported Prefect and the server app, and it then waits idle for the server to boot.
Started first, the server boots on one core while this process imports on the other.
"""
from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryServer:
    """One Prefect API server subprocess on a free loopback port."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._spawn()

    def _spawn(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("Prefect is not installed in this environment")
        app_dir = os.path.dirname(list(spec.submodule_search_locations)[0])
        self.port = _free_port()
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        # Its own session: a signal to the command's process group (what `timeout` and a terminal send) must
        # not take the API away before the run has reported how it ended; the command stops it last.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, start_new_session=True,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_ready(self, timeout: float) -> str:
        """Block until the API answers its health check; returns its URL."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == PORT_IN_USE:
                self._spawn()
            elif status is not None:
                raise RuntimeError(f"Prefect's temporary server exited with status {status} before it was ready")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return self.api_url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Prefect's temporary server did not answer on {self.api_url} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
