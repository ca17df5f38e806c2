"""Real services on loopback for the tests: a moto S3 server, a Prefect server, Dask processes, and
how to run the CLI against them."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
RIFEFLOW = str(BIN / "rifeflow")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def bucket(s3_endpoint, request):
    """A fresh bucket per test, named after it."""
    import boto3

    name = "t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50].strip("-")
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3fs_clean():
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    return s3fs.S3FileSystem()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One real Prefect server on loopback for every process of the pipeline tests."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_for_http(f"{url}/health", 120, proc)
    except Exception:
        stop(proc)
        raise RuntimeError(f"Prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
    yield {"url": url, "home": str(home)}
    stop(proc)
    log.close()


def pipeline_env(prefect_server=None, **extra) -> dict:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PYTHONUNBUFFERED": "1", **extra}
    if prefect_server is not None:
        env["PREFECT_API_URL"] = prefect_server["url"]
        env["PREFECT_HOME"] = prefect_server["home"]
    return env


def run_cli(args: list[str], env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run([RIFEFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout)
    print(f"\n$ rifeflow {' '.join(args)}  -> exit {proc.returncode}\n{proc.stdout[-3000:]}")
    return proc


class DaskProcesses:
    """`dask scheduler` and `dask worker` processes on loopback, as on separate machines."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env = tmp, env
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])

    def _start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"dask-{name}.log", "w")
        proc = subprocess.Popen([str(BIN / "dask"), *args], env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def add_worker(self, name: str, gpu: bool = False, nanny: bool = True, tmpdir: Path | None = None) -> None:
        """A single-threaded worker (torch on one thread, as Dask's nanny sets it), with its own TMPDIR if given."""
        args = ["worker", self.address, "--name", name, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
        args += ["--resources", "GPU=1"] if gpu else []
        args += [] if nanny else ["--no-nanny"]
        env = {**self.env, "OMP_NUM_THREADS": "1"}
        if tmpdir is not None:
            tmpdir.mkdir(mode=0o700, parents=True)
            env["TMPDIR"] = str(tmpdir)
        self._start(name, args, env)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=60)

    def wait_for_workers(self, count: int) -> dict:
        with self.client() as client:
            client.wait_for_workers(count, timeout=120)
            return client.scheduler_info(n_workers=-1)["workers"]

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            stop(proc)


@pytest.fixture
def dask_processes(tmp_path, prefect_server):
    started = []

    def start(env: dict) -> DaskProcesses:
        cluster = DaskProcesses(tmp_path, env)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.close()


class Blackhole:
    """An endpoint that accepts every connection, reads what is sent and never answers: a hung server,
    or one behind a network partition. Counts the connections made to it."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(client)
            threading.Thread(target=self._swallow, args=(client,), daemon=True).start()

    @staticmethod
    def _swallow(client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while client.recv(65536):
                pass

    def close(self) -> None:
        for s in (self.listener, *self.connections):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it, which close() alone does not
            s.close()


class FailingProxy:
    """An HTTP proxy in front of the moto server that answers the next requests with S3 errors (503
    SlowDown, 500 InternalError, ...) before passing requests on again: a throttled or failing store."""

    ERRORS = {503: "SlowDown", 500: "InternalError", 409: "OperationAborted"}

    def __init__(self, target: str):
        import http.client
        import http.server

        self.target = target.split("://", 1)[1]
        self.failures: list[int] = []
        self.served: list[int] = []
        self.drop_headers: set[str] = set()  # request headers not passed on (a store that ignores them)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.failures:
                    status = proxy.failures.pop(0)
                    proxy.served.append(status)
                    text = (f"<?xml version=\"1.0\"?><Error><Code>{proxy.ERRORS[status]}</Code><Message>injected"
                            "</Message></Error>").encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    if self.command != "HEAD":  # a HEAD answer has no body (the next one on the connection would
                        self.wfile.write(text)  # start inside it)
                    return
                upstream = http.client.HTTPConnection(proxy.target, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", *proxy.drop_headers)}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                proxy.served.append(response.status)
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
