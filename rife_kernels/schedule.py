"""Which frames to synthesise between each pair, and how: chained midpoints or direct timesteps."""
from __future__ import annotations

import functools
from fractions import Fraction

import torch
import torch.nn.functional as F

from rife_kernels.interpolator import FrameInterpolator
from rife_kernels.names import MODES, SCENE_CUT_SSIM  # below SCENE_CUT_SSIM, 32x32 thumbnails are two shots

# Largest per-pixel difference (in [0, 1] units) at which neighbours count as the same frame.
# A mean would be wrong here: a talking head moves only its lips, a few percent of the pixels.
STATIC_MAX_DIFF = 2 / 255
THUMB_SAMPLES = 128  # pixels along the short side that a scene-cut thumbnail is made from


def check_exp(exp: int) -> int:
    if not isinstance(exp, int) or isinstance(exp, bool) or not 1 <= exp <= 4:
        raise ValueError(f"exp must be an integer from 1 to 4 (factor 2, 4, 8 or 16), got {exp!r}")
    return exp


@functools.lru_cache(maxsize=8)
def _gaussian_window(size: int, sigma: float, device, dtype) -> torch.Tensor:
    coords = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, size, size)


def thumbnail(frames: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) frames -> (B, 1, 32, 32) grey thumbnails, what scene-cut detection compares."""
    # About THUMB_SAMPLES pixels along the short side are plenty for 32x32 (4+ per thumbnail pixel each way)
    # and cost a fraction at 720p and up. Scaled first, then made grey: both are linear, so the weighted sum
    # runs on 32x32 pixels.
    step = max(1, min(frames.shape[-2:]) // THUMB_SAMPLES)
    small = F.interpolate(frames[..., ::step, ::step].float(), size=(32, 32), mode="bilinear", align_corners=False,
                          antialias=True)
    return 0.299 * small[:, 0:1] + 0.587 * small[:, 1:2] + 0.114 * small[:, 2:3]


def thumbnail_ssim(img0: torch.Tensor, img1: torch.Tensor, thumbs: tuple | None = None) -> torch.Tensor:
    """SSIM per pair of 32x32 grey thumbnails, shape (B,); `thumbs` gives them when already made."""
    a, b = thumbs if thumbs is not None else (thumbnail(img0), thumbnail(img1))
    window = _gaussian_window(11, 1.5, a.device, a.dtype)
    count = a.shape[0]
    maps = F.conv2d(torch.cat([a, b, a * a, b * b, a * b]), window)  # the five local means in one pass
    mu_a, mu_b, aa, bb, ab = maps.split(count)
    var_a = aa - mu_a**2
    var_b = bb - mu_b**2
    cov = ab - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return ssim.flatten(1).mean(1)


def _same_within(img0: torch.Tensor, img1: torch.Tensor, limit: float) -> torch.Tensor:
    """(B,) whether every pixel of each pair differs by at most `limit`. A sparse sample settles most
    moving pairs already; only the pairs it cannot tell apart are compared whole."""
    def within(a, b):
        return torch.sub(a.float(), b.float()).abs_().flatten(1).amax(1) <= limit

    result = within(img0[:, :, ::8, ::8], img1[:, :, ::8, ::8])
    if bool(result.any()):
        undecided = torch.nonzero(result).flatten()
        result[undecided] = within(img0[undecided], img1[undecided])
    return result


def classify_pairs(img0: torch.Tensor, img1: torch.Tensor, scene_threshold: float = SCENE_CUT_SSIM,
                   thumbs: tuple | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks (B,): pairs that are the same frame, pairs that straddle a scene cut.

    A pair is a cut when its thumbnails' SSIM is below `scene_threshold`; 0 turns detection off.
    `thumbs` (the pairs' `thumbnail`s) saves making them again where a stream has them already.
    """
    static = _same_within(img0, img1, STATIC_MAX_DIFF)
    if scene_threshold <= 0:
        return static, torch.zeros_like(static)
    cut = (thumbnail_ssim(img0, img1, thumbs) < scene_threshold) & ~static
    return static, cut


def at_timesteps(interp: FrameInterpolator, img0: torch.Tensor, img1: torch.Tensor, steps: list[Fraction],
                 tolerance: Fraction, max_batch: int = 4) -> torch.Tensor:
    """Frames at each timestep in (0, 1) between one pair of (1, 3, H, W) frames: (len(steps), 3, H, W).

    A model with arbitrary timesteps makes each directly. A midpoint-only model bisects: the midpoint
    of the half holding the timestep, and so on, until a midpoint is within `tolerance` of it (exact
    for dyadic timesteps such as 1/4); midpoints shared by several timesteps are made once.
    """
    img0, img1 = img0.float(), img1.float()
    if interp.supports_timestep:
        t = torch.tensor([float(s) for s in steps], dtype=torch.float32)
        count = len(steps)
        return _in_batches(interp, img0.expand(count, -1, -1, -1), img1.expand(count, -1, -1, -1), t, max_batch)
    made = {Fraction(0): img0, Fraction(1): img1}
    out = []
    for step in steps:
        lo, hi = Fraction(0), Fraction(1)
        while True:
            mid = (lo + hi) / 2
            if mid not in made:
                made[mid] = interp.interpolate(made[lo], made[hi]).to(img0.device)
            if abs(mid - step) <= tolerance or mid == step:
                out.append(made[mid])
                break
            lo, hi = (mid, hi) if step > mid else (lo, mid)
    return torch.cat(out, 0)


def _in_batches(interp: FrameInterpolator, a, b, t, max_batch: int) -> torch.Tensor:
    outs = []
    for start in range(0, a.shape[0], max_batch):
        stop = start + max_batch
        outs.append(interp.interpolate(a[start:stop], b[start:stop], None if t is None else t[start:stop]))
    return outs[0] if len(outs) == 1 else torch.cat(outs, 0)


def _chain(interp, img0, img1, exp, max_batch) -> torch.Tensor:
    if exp == 1:  # one midpoint per pair: no frame stack to build
        return _in_batches(interp, img0, img1, None, max_batch).to(img0.device).unsqueeze(1)
    frames = torch.stack([img0, img1], 1)  # (B, K, 3, H, W), K grows 2 -> 2^exp + 1
    for _ in range(exp):
        b, k = frames.shape[:2]
        left = frames[:, :-1].reshape(b * (k - 1), *frames.shape[2:])
        right = frames[:, 1:].reshape(b * (k - 1), *frames.shape[2:])
        mids = _in_batches(interp, left, right, None, max_batch).to(frames.device).view(b, k - 1, *frames.shape[2:])
        merged = torch.empty((b, 2 * k - 1, *frames.shape[2:]), dtype=frames.dtype, device=frames.device)
        merged[:, 0::2], merged[:, 1::2] = frames, mids
        frames = merged
    return frames[:, 1:-1]


def _direct(interp, img0, img1, exp, max_batch) -> torch.Tensor:
    n = 2**exp
    b = img0.shape[0]
    steps = torch.arange(1, n, dtype=torch.float32) / n
    a = img0.repeat_interleave(n - 1, 0)
    c = img1.repeat_interleave(n - 1, 0)
    t = steps.repeat(b)
    return _in_batches(interp, a, c, t, max_batch).to(img0.device).view(b, n - 1, *img0.shape[1:])


def repeats_first(step: int, n: int) -> bool:
    """Whether in-between `step` (1..n-1 of n) of a still pair or a cut repeats the first frame, the nearer one
    (the middle one repeats the second)."""
    return step < n / 2


def inbetweens(
    interp: FrameInterpolator,
    img0: torch.Tensor,
    img1: torch.Tensor,
    exp: int,
    mode: str = "chain",
    max_batch: int = 4,
    scene_threshold: float = SCENE_CUT_SSIM,
    thumbs: tuple | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 2^exp - 1 frames between each pair of (B, 3, H, W) frames.

    Returns (frames (B, 2^exp - 1, 3, H, W), static mask (B,), scene-cut mask (B,)).
    Static and scene-cut pairs repeat the nearer frame (the second for the middle one);
    neither goes through the model. `scene_threshold` 0 turns cut detection off.
    """
    check_exp(exp)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "direct" and not interp.supports_timestep:
        raise ValueError("direct mode needs a model with arbitrary timesteps (rife-4.25); use chain mode")
    n = 2**exp
    static, cut = classify_pairs(img0, img1, scene_threshold, thumbs)
    run = _chain if mode == "chain" else _direct
    if not bool((static | cut).any()):  # every pair moves: no frames to gather or scatter
        return run(interp, img0.float(), img1.float(), exp, max_batch).to(img0.device), static, cut
    out = torch.empty((img0.shape[0], n - 1, *img0.shape[1:]), dtype=torch.float32, device=img0.device)
    nearer_first = torch.tensor([repeats_first(k, n) for k in range(1, n)], device=img0.device)
    for i in torch.nonzero(static | cut).flatten().tolist():
        out[i] = torch.where(nearer_first.view(-1, 1, 1, 1), img0[i].float(), img1[i].float())
    moving = torch.nonzero(~(static | cut)).flatten()
    if moving.numel():
        out[moving] = run(interp, img0[moving].float(), img1[moving].float(), exp, max_batch).to(out.device)
    return out, static, cut
