"""The model in a process: loaded once per option set, given its share of the cores, and the
conversions between numpy frames and the (B, 3, H, W) tensors IFNet takes.
"""
from __future__ import annotations

import functools
import logging
import os

import numpy as np
import torch

from rife_kernels import FrameInterpolator
from rifeflow.engine.allocator import keep_freed_memory
from rifeflow.engine.weights import ResolvedWeights, build_model, pick_device, resolve_weights
from rifeflow.errors import WeightsError

log = logging.getLogger(__name__)

MODEL_LOADS = {"count": 0}


def load_interpolator(model: str, weights: str | None, device: str | None, scale: float, fp16: bool, tta: bool,
                      expected_sha256: str = "") -> tuple[FrameInterpolator, ResolvedWeights]:
    """One model per process and option set: Dask workers call this for every chunk.

    With `expected_sha256` (what the run computed where it started), the weights are checked: a model this
    process loaded earlier from a file since replaced is loaded again, and weights that still differ
    (another file on this machine) are refused.
    """
    interp, resolved = _load(model, weights, device, scale, fp16, tta)
    if expected_sha256 and resolved.sha256 != expected_sha256:
        _load.cache_clear()
        interp, resolved = _load(model, weights, device, scale, fp16, tta)
        if resolved.sha256 != expected_sha256:
            import socket

            raise WeightsError(f"weights {weights or resolved.path} have SHA-256 {resolved.sha256} on worker "
                               f"{socket.gethostname()} (pid {os.getpid()}), but the run expects {expected_sha256} "
                               "(computed where it started): the file differs between machines or changed "
                               "during the run; nothing was made with them")
    return interp, resolved


@functools.lru_cache(maxsize=4)
def _load(model: str, weights: str | None, device: str | None, scale: float,
          fp16: bool, tta: bool) -> tuple[FrameInterpolator, ResolvedWeights]:
    resolved = resolve_weights(model, weights)
    dev = pick_device(device)
    if fp16 and dev.type != "cuda":
        log.info("fp16 requested but running on %s: using fp32", dev.type)
    MODEL_LOADS["count"] += 1
    keep_freed_memory()
    return FrameInterpolator(build_model(resolved), dev, scale=scale, fp16=fp16, tta=tta), resolved


def configure_threads(threads: int) -> int:
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def to_tensor(frames: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """(H, W, 3) uint8/uint16 frames -> (B, 3, H, W) float in [0, 1], laid out channels-last in memory.

    Converted where the bytes lie (no strided copy), and already in the layout the model runs in.
    """
    stacked = torch.from_numpy(frames[0][None] if len(frames) == 1 else np.stack(frames)).to(device)
    if stacked.dtype == torch.uint8:  # one pass, the same values: torch's uint8 -> float copy alone is 4x slower
        return torch.div(stacked, 255.0).permute(0, 3, 1, 2)
    return stacked.float().div_(65535.0).permute(0, 3, 1, 2)


def to_arrays(frames: torch.Tensor, dtype: np.dtype) -> np.ndarray:
    """(..., 3, H, W) float in [0, 1] -> (..., H, W, 3) uint8/uint16, rounded."""
    peak = 65535.0 if dtype == np.uint16 else 255.0
    scaled = frames.mul(peak).round_().clamp_(0, peak).movedim(-3, -1).cpu().numpy()
    return scaled.astype(dtype)
