"""Shared fixtures: real data from ../shared/data, real weights, one interpolator per session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    root = Path(os.environ.get("RIFEFLOW_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not (root / "videos").is_dir() or not (root / "triplets").is_dir():
        raise RuntimeError(
            f"test data not found at {root}: the tests need ../shared/data (videos/ and triplets/) "
            "beside the checkout, or RIFEFLOW_SHARED_DATA pointing at it"
        )
    return root


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return shared_data()


@pytest.fixture(scope="session")
def videos(data_dir) -> Path:
    return data_dir / "videos"


@pytest.fixture(scope="session")
def triplets(data_dir) -> Path:
    return data_dir / "triplets"


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
