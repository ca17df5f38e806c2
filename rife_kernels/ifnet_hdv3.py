"""IFNet as released with ECCV2022-RIFE's HD model (three refinement blocks, midpoint only).

Each block sees both frames at a coarse scale and refines a bidirectional flow
(B, 4, H, W: flow to frame 0 in channels 0-1, to frame 1 in 2-3) and a fusion
mask logit. The block is applied twice per level, once with the frames swapped,
and the two estimates are averaged, which makes the result symmetric in time.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from rife_kernels.warp import resize, warp


def _conv_prelu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.PReLU(cout))


def _head(width: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(width, width // 2, 4, 2, 1),
        nn.PReLU(width // 2),
        nn.ConvTranspose2d(width // 2, out_channels, 4, 2, 1),
    )


class FlowBlock(nn.Module):
    """One coarse-to-fine level: features at 1/(4*scale), flow and mask back at full size."""

    def __init__(self, in_channels: int, width: int = 90):
        super().__init__()
        self.conv0 = nn.Sequential(
            _conv_prelu(in_channels, width // 2, 2), _conv_prelu(width // 2, width, 2)
        )
        for i in range(4):
            setattr(self, f"convblock{i}", nn.Sequential(_conv_prelu(width, width), _conv_prelu(width, width)))
        self.conv1 = _head(width, 4)
        self.conv2 = _head(width, 1)

    def forward(self, inputs: tuple[torch.Tensor, ...], flow: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        # Resizing per input and concatenating at the coarse size equals resizing the
        # concatenation (bilinear works per channel) and skips a full-size copy.
        small = [resize(x, 1.0 / scale) for x in inputs]
        feat = self.conv0(torch.cat((*small, resize(flow, 1.0 / scale) / scale), 1))
        for i in range(4):
            feat = getattr(self, f"convblock{i}")(feat) + feat
        flow = resize(self.conv1(feat), scale) * scale
        mask = resize(self.conv2(feat), scale)
        return flow, mask


def _swap_directions(flow: torch.Tensor) -> torch.Tensor:
    return torch.cat((flow[:, 2:4], flow[:, :2]), 1)


class IFNetHDv3(nn.Module):
    """Input two images (B, 3, H, W) in [0, 1], H and W multiples of 32/scale; output the midpoint."""

    pad_multiple = 32
    supports_timestep = False
    # The released file also holds the distillation teacher, which inference never runs.
    training_only_prefixes = ("block_tea.",)

    def __init__(self):
        super().__init__()
        self.block0 = FlowBlock(7 + 4)
        self.block1 = FlowBlock(7 + 4)
        self.block2 = FlowBlock(7 + 4)

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, grid: torch.Tensor, scale: float = 1.0
    ) -> torch.Tensor:
        batch, _, height, width = img0.shape
        flow = img0.new_zeros((batch, 4, height, width))
        mask = img0.new_zeros((batch, 1, height, width))
        warped0, warped1 = img0, img1
        for block, level in zip((self.block0, self.block1, self.block2), (4, 2, 1)):
            level_scale = level / scale
            f_fwd, m_fwd = block((warped0, warped1, mask), flow, level_scale)
            f_bwd, m_bwd = block((warped1, warped0, -mask), _swap_directions(flow), level_scale)
            flow = flow + (f_fwd + _swap_directions(f_bwd)) / 2
            mask = mask + (m_fwd - m_bwd) / 2
            warped0 = warp(img0, flow[:, :2], grid)
            warped1 = warp(img1, flow[:, 2:4], grid)
        weight = torch.sigmoid(mask)
        return warped0 * weight + warped1 * (1 - weight)
