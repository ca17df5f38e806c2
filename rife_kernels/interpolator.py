"""Run an IFNet on batches of frame pairs: padding, grids, precision, flip ensemble."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from rife_kernels.names import SCALES
from rife_kernels.warp import make_grid


def check_scale(scale: float) -> float:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(str(s) for s in SCALES)}, got {scale}")
    return float(scale)


class FrameInterpolator:
    """Tensors in, tensors out. Frames are (B, 3, H, W) floats in [0, 1] on `device`.

    `scale` < 1 runs the flow estimation at lower resolution (faster, for large
    frames); `tta` averages the result with that of the flipped pair.
    """

    def __init__(
        self,
        model: nn.Module,
        device: torch.device,
        scale: float = 1.0,
        fp16: bool = False,
        tta: bool = False,
        channels_last: bool = True,
    ):
        self.device = device
        self.scale = check_scale(scale)
        self.dtype = torch.float16 if fp16 and device.type == "cuda" else torch.float32
        self.tta = tta
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = model.to(device=device, dtype=self.dtype, memory_format=self.memory_format).eval()
        self.supports_timestep = bool(getattr(model, "supports_timestep", False))
        base = int(getattr(model, "pad_multiple", 32))
        self.pad_multiple = max(base, int(base / self.scale))
        self._grids: dict[tuple[int, int], torch.Tensor] = {}

    def _grid(self, height: int, width: int) -> torch.Tensor:
        key = (height, width)
        if key not in self._grids:
            self._grids[key] = make_grid(height, width, self.device, self.dtype)
        return self._grids[key]

    def _prepare(self, frames: torch.Tensor) -> torch.Tensor:
        height, width = frames.shape[2], frames.shape[3]
        m = self.pad_multiple
        pad_h, pad_w = (-height) % m, (-width) % m
        frames = frames.to(device=self.device, dtype=self.dtype, non_blocking=True)
        if pad_h or pad_w:
            frames = F.pad(frames, (0, pad_w, 0, pad_h))
        return frames.contiguous(memory_format=self.memory_format)

    def _run(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor | None) -> torch.Tensor:
        grid = self._grid(img0.shape[2], img0.shape[3])
        if timestep is None:
            return self.model(img0, img1, grid, self.scale)
        return self.model(img0, img1, grid, self.scale, timestep=timestep)

    @torch.inference_mode()
    def interpolate(
        self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor | float | None = None
    ) -> torch.Tensor:
        """The frame at `timestep` (scalar or (B,)) between img0 and img1; midpoint when None.

        Returns (B, 3, H, W) float32 in [0, 1] on the interpolator's device.
        """
        if img0.shape != img1.shape or img0.dim() != 4 or img0.shape[1] != 3:
            raise ValueError(f"expected two (B, 3, H, W) tensors of one shape, got {tuple(img0.shape)} and {tuple(img1.shape)}")
        if timestep is not None and not self.supports_timestep:
            raise ValueError("this model only interpolates midpoints: use chain mode")
        if timestep is not None:
            timestep = torch.as_tensor(timestep, dtype=self.dtype, device=self.device).reshape(-1)
            timestep = timestep.expand(img0.shape[0]) if timestep.numel() == 1 else timestep
        out = self._padded_run(img0, img1, timestep)
        if self.tta:
            out = (out + self._padded_run(img0.flip(2, 3), img1.flip(2, 3), timestep).flip(2, 3)) / 2
        return out.float().clamp_(0.0, 1.0)

    def _padded_run(self, img0: torch.Tensor, img1: torch.Tensor, timestep) -> torch.Tensor:
        height, width = img0.shape[2], img0.shape[3]
        out = self._run(self._prepare(img0), self._prepare(img1), timestep)
        return out[:, :, :height, :width]
