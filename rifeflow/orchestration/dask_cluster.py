"""The Dask cluster of a catalog run: a local cluster tuned for the model, or an existing scheduler."""
from __future__ import annotations

import contextlib
import functools
import logging
import os
from dataclasses import dataclass
from typing import Callable, Iterator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterInfo:
    address: str
    workers: int
    gpu_workers: int
    torch_threads: int


def describe_cluster(address: str, timeout: float = 30.0) -> ClusterInfo:
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        client.wait_for_workers(1, timeout=timeout)
        workers = client.scheduler_info(n_workers=-1)["workers"]
    gpu = sum(1 for w in workers.values() if (w.get("resources") or {}).get("GPU", 0) >= 1)
    return ClusterInfo(address=address, workers=len(workers), gpu_workers=gpu,
                       torch_threads=threads_per_worker(len(workers)))


def threads_per_worker(workers: int) -> int:
    """Torch threads for one of `workers` processes so that workers x threads equals the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


# Dask's own monitors wake every worker 100 times a second (statistical profiler at 10 ms, event
# loop ticks at 20 ms) and cost a single-threaded worker's model 4-14 % (bench/RESULTS.md). The
# local cluster has no dashboard to show them; an external cluster keeps its own settings.
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}

# Dask keeps its last `low-level-log-length` messages per comm, transitions and events for
# debugging (default 1000 each). In the flow process, which hosts the local scheduler, those
# messages hold the unpickled task specs with their Prefect parameters (a whole manifest for a
# stitch): a catalog run grew by about 0.4 MiB per video until the logs were full. 50 keeps a
# recent history for debugging at a bounded cost. An external scheduler keeps its own setting
# (README: set it there too).
BOUNDED_LOGS = {"distributed.admin.low-level-log-length": 50}


@contextlib.contextmanager
def dask_cluster(scheduler: str | None, workers: int, quiet: bool = True, gpus: str | None = None) -> Iterator[ClusterInfo]:
    """The given scheduler, or a local cluster for the block: one worker per chosen GPU (see gpus.py) and
    `workers` single-threaded CPU workers, torch threads sharing the cores.

    quiet=False keeps Dask's own monitor settings (the bench's comparison).
    """
    import dask

    if scheduler:  # this process is then only the client, whose outgoing log holds the same specs
        with dask.config.set(BOUNDED_LOGS):
            yield describe_cluster(scheduler)
        return
    from distributed import Nanny, Scheduler, SpecCluster

    from rifeflow.orchestration.gpus import choose_gpus, plan_workers, visible_gpus

    logging.getLogger("distributed").setLevel(logging.WARNING)
    plans = plan_workers(choose_gpus(gpus, visible_gpus()), workers, os.cpu_count() or 1)
    environ = worker_environ(int(plans[0].env["OMP_NUM_THREADS"]))
    spec = {plan.name: {"cls": Nanny, "options": {
        "nthreads": plan.nthreads, "resources": plan.resources or None, "host": "127.0.0.1",
        "dashboard": False, "dashboard_address": ":0", "silence_logs": logging.WARNING,
        "env": {k: v for k, v in plan.env.items() if k not in environ}}} for plan in plans}
    with parent_environ_kept(environ) as restore, \
            dask.config.set({"distributed.nanny.pre-spawn-environ": environ, **BOUNDED_LOGS,
                             **(QUIET_WORKERS if quiet else {})}), \
            SpecCluster(workers=spec, scheduler={"cls": Scheduler, "options": {"host": "127.0.0.1", "dashboard": False,
                                                                              "dashboard_address": ":0"}},
                        silence_logs=logging.WARNING, name="rifeflow") as cluster:
        restore()
        yield describe_cluster(cluster.scheduler_address)


@contextlib.contextmanager
def parent_environ_kept(worker_env: dict[str, str]) -> Iterator[Callable[[], None]]:
    """Undo what Dask's nanny writes into this process's own environment: at the end, and on call.

    The nanny copies the workers' pre-spawn variables (its defaults and `worker_env`) into
    os.environ before each spawn, so every later child of this process, and torch here if it
    has not started its thread pool yet, would run single-threaded.
    """
    import dask

    keys = set(worker_env) | set(dask.config.get("distributed.nanny.pre-spawn-environ") or {})
    saved = {key: os.environ.get(key) for key in keys}

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    try:
        yield restore
    finally:
        restore()


def worker_environ(torch_threads: int) -> dict[str, str]:
    """Environment of a local worker process: its share of the cores for native thread pools.

    Replaces Dask's default, whose MALLOC_TRIM_THRESHOLD_ slows the model down
    (see rifeflow/engine/allocator.py) and whose one thread per pool would starve it.
    """
    threads = str(torch_threads)
    return {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


def on_a_worker(address: str, gpu: bool, timeout_s: float, function: Callable, *args):
    """`function(*args)` run once on a worker of the cluster (one with the GPU resource when `gpu`)."""
    import dask
    from distributed import Client

    with Client(address, timeout=30) as client, dask.annotate(resources={"GPU": 1} if gpu else {}):
        return client.submit(function, *args, pure=False).result(timeout=timeout_s)


@contextlib.contextmanager
def task_stream(address: str) -> Iterator[Callable[[], dict]]:
    """Record the cluster's task stream for the block; the callable sums it up so far.

    busy_fraction: compute seconds over workers x seconds from the first task's start to the
    last one's end (start-up before the first task is not counted).
    """
    import time

    from distributed import Client

    client = Client(address, timeout=30)
    since = time.time()
    client.get_task_stream(start=since)  # installs the scheduler's task-stream plugin
    try:
        yield lambda: utilisation(client.get_task_stream(start=since), len(client.scheduler_info(n_workers=-1)["workers"]))
    finally:
        client.close()


def utilisation(records: list[dict], workers: int) -> dict:
    spans = [(s["start"], s["stop"]) for r in records for s in r.get("startstops", ()) if s.get("action") == "compute"]
    if not spans or workers < 1:
        return {"tasks": len(records), "busy_fraction": None, "span_s": 0.0}
    span = max(stop for _, stop in spans) - min(start for start, _ in spans)
    busy = sum(stop - start for start, stop in spans)
    return {"tasks": len(records), "busy_fraction": busy / (workers * span) if span > 0 else None, "span_s": span,
            "workers": workers}


@contextlib.contextmanager
def shared_task_runner(address: str) -> Iterator:
    """A DaskTaskRunner for the run's video subflows that all use one Dask client.

    prefect-dask connects a new client for every flow run that uses a runner (each subflow duplicates
    it): with a subflow per video, that connection cost about a third of a CPU-second per video
    (bench/RESULTS.md). One client, opened here and closed at the end, serves every video's tasks.
    """
    from prefect_dask.client import PrefectDaskClient

    with PrefectDaskClient(address, timeout=30) as client:
        yield _shared_runner_class()(client)


@functools.cache
def _shared_runner_class():
    from prefect_dask import DaskTaskRunner

    class SharedClientRunner(DaskTaskRunner):
        def __init__(self, client=None, address: str | None = None):
            super().__init__(address=address or (client.scheduler.address if client else None))
            self._client = client  # the `client` property returns it instead of connecting anew

        def duplicate(self):
            return type(self)(self._client, self.address)

        def __reduce__(self):  # the flow, with its runner, travels with every task: never the client
            return DaskTaskRunner, (self.address,)

    return SharedClientRunner
