"""How rifeflow's S3 client waits and retries: bounded waits, one attempt per call, so faults.call is the
only retry loop (logged, counted, its backoff known).

Left to their defaults, an endpoint that accepts and never answers costs s3fs's 5 attempts times
botocore's 5, each waiting 60 s, on every retry; and an upload waits forever, because botocore asks
for `Expect: 100-continue` and aiohttp waits for that interim answer with no timeout at all.
"""
from __future__ import annotations

import os

_SESSIONS: dict[int, object] = {}  # per process: a session is not shared across a fork


def timeout_s() -> float:
    """Seconds a storage call waits for a connection, or for the next bytes of an answer, before it
    counts as unreachable: RIFEFLOW_STORAGE_TIMEOUT_S, default 30."""
    from rifeflow.settings import settings

    return settings().storage_timeout_s


def config() -> dict:
    """botocore's config: the timeouts, and one attempt unless the user set AWS_MAX_ATTEMPTS."""
    seconds = timeout_s()
    options: dict = {"connect_timeout": seconds, "read_timeout": seconds}
    if not os.environ.get("AWS_MAX_ATTEMPTS", "").strip():
        options["retries"] = {"total_max_attempts": 1}
    return options


def session():
    """This process's aiobotocore session, its clients sending uploads without `Expect: 100-continue`."""
    pid = os.getpid()
    if pid not in _SESSIONS:
        from aiobotocore.session import AioSession

        created = AioSession()
        created.get_component("event_emitter").register_last("before-call.s3", _without_expect)
        _SESSIONS[pid] = created
    return _SESSIONS[pid]


def _without_expect(params, **_) -> None:
    params.get("headers", {}).pop("Expect", None)


def options() -> dict:
    """Keyword arguments for s3fs.S3FileSystem."""
    return {"config_kwargs": config(), "session": session()}


def configure(fs) -> None:
    fs.retries = 1  # s3fs's own retry loop, a class attribute (5): one attempt
