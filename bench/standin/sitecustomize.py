"""The benchmark's stand-in for IFNet, so that only rifeflow's data path is timed (bench/data_path.py).

Put this folder on PYTHONPATH with RIFEFLOW_BENCH_STANDIN=blend: every Python process started that way
(the command, its Dask workers) replaces the network's forward pass with a linear blend of the two
frames at the timestep, right after rife_kernels.interpolator is imported. Padding, precision, the
tensors in and out and every frame's path stay rifeflow's own. It lives here, never in the product.
"""
import importlib.abc
import importlib.util
import os
import sys


def _blend(self, img0, img1, timestep):
    if timestep is None:
        return (img0 + img1) * 0.5
    t = timestep.view(-1, 1, 1, 1).to(img0.dtype)
    return img0 * (1 - t) + img1 * t


class _StandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    target = "rife_kernels.interpolator"

    def find_spec(self, name, path, target=None):
        if name != self.target:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        self.inner = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        self.inner.exec_module(module)
        module.FrameInterpolator._run = _blend


if os.environ.get("RIFEFLOW_BENCH_STANDIN") == "blend":
    sys.meta_path.insert(0, _StandIn())
