"""Local Dask workers get an environment fit for the model (see rifeflow/engine/allocator.py)."""
import os

import dask
from distributed import Client

import pytest

from rifeflow.engine.allocator import keep_freed_memory
from rifeflow.orchestration.dask_cluster import dask_cluster

pytestmark = pytest.mark.slow  # servers or a browser


def _worker_view():
    return {key: os.environ.get(key) for key in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def _worker_monitors(dask_worker):
    return {"profiling": dask.config.get("distributed.worker.profile.enabled"),
            "profile callback": "profile" in dask_worker.periodic_callbacks,
            "tick ms": dask.config.get("distributed.admin.tick.interval")}


def test_local_workers_share_the_cores_and_keep_the_adaptive_allocator():
    before = _worker_view()
    with dask_cluster(None, 2) as cluster, Client(cluster.address) as client:
        during = _worker_view()
        views = client.run(_worker_view)
        monitors = client.run(_worker_monitors)
    # Dask's nanny writes the workers' variables into its parent's environment; they must not stay there.
    assert during == before and _worker_view() == before
    expected = str(max(1, (os.cpu_count() or 1) // 2))
    assert len(views) == 2
    for view in views.values():
        assert view == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": expected, "MKL_NUM_THREADS": expected}
    assert cluster.torch_threads == int(expected)
    # Dask's statistical profiler and 20 ms ticks stay off the model's cores.
    assert list(monitors.values()) == [{"profiling": False, "profile callback": False, "tick ms": "1s"}] * 2
    assert dask.config.get("distributed.worker.profile.enabled") is True  # the caller's config is untouched


def test_fixed_malloc_thresholds_are_accepted_by_glibc():
    assert keep_freed_memory() is True
