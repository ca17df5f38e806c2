"""rifeflow: RIFE frame interpolation for video catalogs.

The API loads on first use, so commands that do not run the model (rifeflow run's
orchestrating process, report) start without importing torch.
"""
import os
from importlib.metadata import PackageNotFoundError, version

# Torch's OpenMP threads otherwise spin for a while after every operation, waiting for the next, on cores
# the decoder and encoder threads need: a third of `rifeflow interpolate`'s CPU on 2 cores (bench/RESULTS.md).
# Read once, when torch loads its OpenMP library, so it is set here, before anything imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = version("rifeflow")  # the one place it is written is pyproject.toml
except PackageNotFoundError:  # a checkout on sys.path that was never installed
    __version__ = "0+unknown"
__all__ = ["InterpolationResult", "interpolate_images", "interpolate_video", "main_interpolate", "__version__"]


def __getattr__(name: str):
    if name in __all__:
        from rifeflow import api

        return getattr(api, name)
    raise AttributeError(f"module 'rifeflow' has no attribute {name!r}")
