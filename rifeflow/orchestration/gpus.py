"""Which GPUs a local cluster uses, and the worker each one gets: one per GPU, pinned to it with
CUDA_VISIBLE_DEVICES (as dask-cuda's LocalCUDACluster does) and carrying the `GPU` resource, beside CPU
workers for the light stages. Pure planning, testable without a GPU through the device list.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rifeflow.errors import OptionError

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")


@dataclass(frozen=True)
class WorkerPlan:
    name: str
    nthreads: int
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=dict)


def visible_gpus(environ: dict | None = None, driver_dir: Path = NVIDIA_GPUS) -> list[str]:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES when set, else every GPU the NVIDIA driver lists."""
    environ = os.environ if environ is None else environ
    if "CUDA_VISIBLE_DEVICES" in environ:
        value = environ["CUDA_VISIBLE_DEVICES"].strip()
        if value in ("", "-1", "NoDevFiles"):
            return []
        return [item.strip() for item in value.split(",") if item.strip()]
    try:
        return [str(i) for i in range(len(list(driver_dir.iterdir())))]
    except OSError:
        return []


def choose_gpus(option: str | None, visible: list[str]) -> list[str]:
    """`--gpus`: all (the default), none, or a comma-separated list of visible GPUs."""
    text = (option or "all").strip().lower()
    if text == "all":
        return list(visible)
    if text == "none":
        return []
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    missing = [g for g in chosen if g not in visible]
    if missing or not chosen or len(set(chosen)) != len(chosen):
        raise OptionError(f"--gpus {option!r}: give all, none, or distinct GPUs among those visible here "
                          f"({', '.join(visible) or 'none'})")
    return chosen


def plan_workers(gpus: list[str], cpu_workers: int, cores: int) -> list[WorkerPlan]:
    """One worker per GPU, pinned to it, plus `cpu_workers` CPU workers; torch threads share the cores.

    A GPU worker runs one chunk at a time (its `GPU` resource) and has a second thread, so a prepare or
    a stitch placed there never waits for the GPU to be free, nor holds it.
    """
    workers = len(gpus) + cpu_workers
    threads = str(max(1, cores // max(1, workers)))
    base = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
    plans = [WorkerPlan(name=f"gpu-{gpu}", nthreads=2, env={**base, "CUDA_VISIBLE_DEVICES": gpu},
                        resources={"GPU": 1}) for gpu in gpus]
    # CPU workers see no GPU at all: torch there never initialises CUDA on a device a GPU worker owns.
    cpu_env = {**base, "CUDA_VISIBLE_DEVICES": ""} if gpus else base
    plans += [WorkerPlan(name=f"cpu-{i}", nthreads=1, env=dict(cpu_env)) for i in range(cpu_workers)]
    return plans
