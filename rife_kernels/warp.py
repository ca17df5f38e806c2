"""Backward warping with a caller-owned sampling grid, and the bilinear resize both IFNets use."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def make_grid(height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Identity sampling grid in normalised coordinates, shape (1, 2, H, W)."""
    xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype).view(1, 1, 1, width)
    ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype).view(1, 1, height, 1)
    return torch.cat([xs.expand(1, 1, height, width), ys.expand(1, 1, height, width)], 1)


def warp(image: torch.Tensor, flow: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Sample `image` (B, C, H, W) at positions displaced by `flow` (B, 2, H, W) in pixels.

    `grid` is `make_grid(H, W, ...)`; the caller builds it once per resolution.
    """
    height, width = image.shape[2], image.shape[3]
    norm = torch.cat(
        [flow[:, 0:1] / ((width - 1.0) / 2.0), flow[:, 1:2] / ((height - 1.0) / 2.0)], 1
    )
    coords = (grid + norm).permute(0, 2, 3, 1)
    return F.grid_sample(image, coords, mode="bilinear", padding_mode="border", align_corners=True)


def resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    """(B, C, H, W) scaled by `factor` bilinearly; factor 1 returns `x` itself."""
    if factor == 1.0:
        return x
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
