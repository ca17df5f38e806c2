"""IFNet of Practical-RIFE 4.2x: five levels, image features, arbitrary timestep."""
from __future__ import annotations

import torch
import torch.nn as nn

from rife_kernels.warp import resize, warp


def _conv_lrelu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=True), nn.LeakyReLU(0.2, inplace=True))


class FeatureHead(nn.Module):
    """Four-channel per-pixel features of one image, same resolution as the image."""

    def __init__(self):
        super().__init__()
        self.cnn0 = nn.Conv2d(3, 16, 3, 2, 1)
        self.cnn1 = nn.Conv2d(16, 16, 3, 1, 1)
        self.cnn2 = nn.Conv2d(16, 16, 3, 1, 1)
        self.cnn3 = nn.ConvTranspose2d(16, 4, 4, 2, 1)
        self.relu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.cnn0(x))
        x = self.relu(self.cnn1(x))
        x = self.relu(self.cnn2(x))
        return self.cnn3(x)


class ResidualConv(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones((1, width, 1, 1)))
        self.relu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x) * self.beta + x)


class FlowBlock(nn.Module):
    """Returns flow (B, 4), mask logit (B, 1) and 8 context channels, all at full size."""

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.conv0 = nn.Sequential(
            _conv_lrelu(in_channels, width // 2, 2), _conv_lrelu(width // 2, width, 2)
        )
        self.convblock = nn.Sequential(*[ResidualConv(width) for _ in range(8)])
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(width, 4 * 13, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, inputs: tuple[torch.Tensor, ...], flow: torch.Tensor | None, scale: float):
        # Resize each input, then concatenate at the coarse size (same result, no full-size copy).
        small = [resize(x, 1.0 / scale) for x in inputs]
        if flow is not None:
            small.append(resize(flow, 1.0 / scale) / scale)
        x = torch.cat(small, 1)
        out = resize(self.lastconv(self.convblock(self.conv0(x))), scale)
        return out[:, :4] * scale, out[:, 4:5], out[:, 5:]


class IFNetV4(nn.Module):
    """Input two images (B, 3, H, W) in [0, 1] and a timestep in (0, 1) per sample; output the frame."""

    pad_multiple = 128
    supports_timestep = True
    # Training-only parts shipped in the released file: the teacher block and a timestep regressor.
    training_only_prefixes = ("teacher.", "caltime.")

    def __init__(self):
        super().__init__()
        self.block0 = FlowBlock(7 + 8, 192)
        self.block1 = FlowBlock(8 + 4 + 8 + 8, 128)
        self.block2 = FlowBlock(8 + 4 + 8 + 8, 96)
        self.block3 = FlowBlock(8 + 4 + 8 + 8, 64)
        self.block4 = FlowBlock(8 + 4 + 8 + 8, 32)
        self.encode = FeatureHead()

    def forward(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        grid: torch.Tensor,
        scale: float = 1.0,
        timestep: torch.Tensor | float = 0.5,
    ) -> torch.Tensor:
        batch, _, height, width = img0.shape
        if torch.is_tensor(timestep):
            t_map = timestep.to(img0).view(-1, 1, 1, 1).expand(batch, 1, height, width)
        else:
            t_map = img0.new_full((batch, 1, height, width), float(timestep))
        feat0, feat1 = self.encode(img0), self.encode(img1)
        blocks = (self.block0, self.block1, self.block2, self.block3, self.block4)
        levels = (16, 8, 4, 2, 1)
        flow, mask, context = blocks[0]((img0, img1, feat0, feat1, t_map), None, levels[0] / scale)
        warped0 = warp(img0, flow[:, :2], grid)
        warped1 = warp(img1, flow[:, 2:4], grid)
        for block, level in zip(blocks[1:], levels[1:]):
            inputs = (warped0, warped1, warp(feat0, flow[:, :2], grid), warp(feat1, flow[:, 2:4], grid), t_map, mask, context)
            delta, mask, context = block(inputs, flow, level / scale)
            flow = flow + delta
            warped0 = warp(img0, flow[:, :2], grid)
            warped1 = warp(img1, flow[:, 2:4], grid)
        weight = torch.sigmoid(mask)
        return warped0 * weight + warped1 * (1 - weight)
