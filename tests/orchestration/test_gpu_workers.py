"""One local worker per GPU, pinned to it, planned from the device list, so it is tested without a GPU."""
from __future__ import annotations

import os

import pytest
from distributed import Client

from rifeflow.errors import OptionError
from rifeflow.orchestration.dask_cluster import dask_cluster
from rifeflow.orchestration.gpus import choose_gpus, plan_workers, visible_gpus


def test_the_device_list_comes_from_cuda_visible_devices_or_the_driver(tmp_path):
    for i in range(3):
        (tmp_path / f"0000:0{i}:00.0").mkdir()
    assert visible_gpus({}, tmp_path) == ["0", "1", "2"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,3"}, tmp_path) == ["2", "3"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, tmp_path) == []
    assert visible_gpus({}, tmp_path / "no-driver") == []


def test_gpus_chooses_among_the_visible_ones():
    assert choose_gpus(None, ["0", "1"]) == ["0", "1"] and choose_gpus("none", ["0", "1"]) == []
    assert choose_gpus("1", ["0", "1"]) == ["1"]
    with pytest.raises(OptionError, match=r"--gpus '3'.*visible here \(0, 1\)"):
        choose_gpus("3", ["0", "1"])


def test_each_gpu_gets_its_own_worker_pinned_to_it_beside_the_cpu_workers():
    plans = plan_workers(["0", "1", "2", "3", "4", "5", "6", "7"], 2, 16)
    gpu = [p for p in plans if p.resources]
    assert [p.env["CUDA_VISIBLE_DEVICES"] for p in gpu] == [str(i) for i in range(8)]
    assert all(p.resources == {"GPU": 1} and p.nthreads == 2 for p in gpu)
    cpu = [p for p in plans if not p.resources]
    assert len(cpu) == 2 and all(p.env["CUDA_VISIBLE_DEVICES"] == "" for p in cpu)
    assert {p.env["OMP_NUM_THREADS"] for p in plans} == {"1"}  # 16 cores over 10 workers
    assert all("CUDA_VISIBLE_DEVICES" not in p.env for p in plan_workers([], 2, 2))  # no GPUs: nothing pinned


def _view() -> str | None:
    return os.environ.get("CUDA_VISIBLE_DEVICES")


@pytest.mark.slow  # starts worker processes
def test_a_host_showing_two_gpus_starts_one_pinned_worker_each(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    with dask_cluster(None, 1) as cluster, Client(cluster.address) as client:
        seen = client.run(_view)
        resources = {a: w["resources"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
        names = {a: w["name"] for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
    assert cluster.workers == 3 and cluster.gpu_workers == 2
    by_name = {names[a]: (seen[a], resources[a]) for a in seen}
    assert by_name == {"gpu-0": ("0", {"GPU": 1}), "gpu-1": ("1", {"GPU": 1}), "cpu-0": ("", {})}
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "0,1"  # this process's own view is untouched
