"""Which Prefect API a run reports to, as Prefect's own settings resolve it, and Prefect's temporary
server when they name none.

Prefect reads PREFECT_API_URL (and PREFECT_API_KEY, which `prefect cloud login` stores) from the
environment, a `.env` file, `prefect.toml`, `pyproject.toml`'s `[tool.prefect]` and the active
profile in `profiles.toml`. Importing Prefect's settings costs about as much as importing Prefect,
which `rifeflow run` overlaps with booting a temporary server; so the files are first looked at
cheaply, and Prefect is asked only when one of them could name an API.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rifeflow.orchestration.prefect_server import TemporaryServer


@dataclass(frozen=True)
class PrefectApi:
    url: str
    key: str | None


def _profiles_path() -> Path:
    home = os.environ.get("PREFECT_HOME")
    return (Path(home) if home else Path.home() / ".prefect") / "profiles.toml"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def could_name_an_api() -> bool:
    """True when any of Prefect's settings sources might set the API URL (never False when one does)."""
    if any(os.environ.get(name) for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")):
        return True
    if "PREFECT_" in _read(Path(".env")) or Path("prefect.toml").is_file():
        return True
    if "tool.prefect" in _read(Path("pyproject.toml")):
        return True
    return "PREFECT_API_URL" in _read(_profiles_path())


def configured_api() -> PrefectApi | None:
    """The API Prefect's settings name, or None when Prefect would start its own ephemeral server."""
    if not could_name_an_api():
        return None
    from prefect.settings import Settings

    api = Settings().api  # read from the sources now, not as they were when Prefect was imported
    if not api.url:
        return None
    key = api.key.get_secret_value() if api.key is not None else None
    return PrefectApi(url=api.url, key=key)


QUIET_PREFECT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # A busy SQLite under a long run answers 503 for a while; Prefect's client retries those with
    # exponential back-off (2, 4, 8, ... s). Its default of 5 tries gives up after about a minute.
    "PREFECT_CLIENT_MAX_RETRIES": "9",
}


def quiet_prefect_env() -> None:
    """Offline-friendly Prefect defaults; must run before Prefect is imported."""
    for key, value in QUIET_PREFECT.items():
        os.environ.setdefault(key, value)


def startup_timeout() -> float:
    return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))


def early_server() -> TemporaryServer | None:
    """Start Prefect's temporary server now, unless Prefect's settings name an API; call before importing Prefect."""
    if configured_api() is not None:
        return None
    return TemporaryServer()


@contextlib.contextmanager
def one_certificate_bundle() -> Iterator[str]:
    """A file holding one CA certificate (the first of certifi's bundle), for as long as the block lasts.

    Every Prefect client builds a TLS context from PREFECT_API_SSL_CERT_FILE (by default SSL_CERT_FILE's
    bundle, else certifi's), even for an `http://` API that never speaks TLS (PrefectHQ/prefect#19106):
    OpenSSL 3 takes about 21 ms of CPU to parse a bundle's ~140 certificates, and each video's task builds
    about 4 such clients between its worker and the flow's process (bench/RESULTS.md). One certificate
    takes 0.6 ms.
    """
    import certifi

    text = Path(certifi.where()).read_text()
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    first = text[text.index(begin):text.index(end) + len(end)] + "\n"
    with tempfile.TemporaryDirectory(prefix="rifeflow-api-") as folder:
        path = os.path.join(folder, "no-tls-spoken.pem")
        Path(path).write_text(first)
        yield path


@contextlib.contextmanager
def shared_prefect_api(server: TemporaryServer | None = None, local_workers: bool = True) -> Iterator[str]:
    """Make this process and every process it starts use one Prefect API.

    The one Prefect's settings name (environment, `.env`, `prefect.toml`, `pyproject.toml`
    or the active profile, Cloud's included), exported so every process agrees. Otherwise
    Prefect's own temporary server with its URL exported, so Dask workers do not each start
    another: `server` if the caller started one with early_server (the caller stops it, after
    its Dask workers have shut down and sent their last logs), else one started and stopped here.
    That server speaks plain HTTP on loopback, so with `local_workers` (they read this machine's
    files) its clients are spared loading a CA bundle they never use (one_certificate_bundle); the
    setting is read by Prefect's API clients only, and an API the settings name keeps its own.
    """
    api = configured_api()
    if api is not None:
        from rifeflow.storage.secrets import remember

        remember(api.key)
        exported = "PREFECT_API_URL" not in os.environ
        os.environ["PREFECT_API_URL"] = api.url
        try:
            yield api.url
        finally:
            if exported:
                os.environ.pop("PREFECT_API_URL", None)
        return
    owned = server is None
    server = server or TemporaryServer()
    try:
        url = server.wait_ready(startup_timeout())
        os.environ["PREFECT_API_URL"] = url
        from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_URL, temporary_settings

        with contextlib.ExitStack() as stack:
            updates = {PREFECT_API_URL: url}
            if local_workers:
                updates[PREFECT_API_SSL_CERT_FILE] = stack.enter_context(one_certificate_bundle())
            stack.enter_context(temporary_settings(updates=updates))
            try:
                yield url
            finally:
                _flush_prefect_logs()
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        if owned:
            server.stop()


def _flush_prefect_logs(timeout_s: float = 15.0) -> None:
    """Send buffered run logs and events, and stop Prefect's senders, while the temporary server still
    listens: left for the interpreter's exit, they would retry a stopped server and the process would not
    end by itself."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler, APILogWorker

    APILogHandler().flush()
    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=timeout_s)
