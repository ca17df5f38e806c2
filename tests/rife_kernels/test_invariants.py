"""Properties any correct interpolator has, on real frames."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from rife_kernels import FrameInterpolator, inbetweens
from rife_kernels.warp import make_grid, warp
from tests.helpers import load_rgb, to_batch, to_uint8


@pytest.fixture(scope="module")
def frame(triplets):
    return load_rgb(triplets / "large" / "bikes_090" / "frame_00.png")[:256, :320]


def test_warp_with_zero_flow_is_identity(frame):
    img = to_batch(frame)
    grid = make_grid(img.shape[2], img.shape[3], img.device, img.dtype)
    out = warp(img, torch.zeros(1, 2, *img.shape[2:]), grid)
    assert torch.allclose(out, img, atol=1e-5)


def test_warp_shifts_by_whole_pixels(frame):
    img = to_batch(frame)
    grid = make_grid(img.shape[2], img.shape[3], img.device, img.dtype)
    flow = torch.zeros(1, 2, *img.shape[2:])
    flow[:, 0] = 3.0  # sample 3 px to the right
    out = warp(img, flow, grid)
    assert torch.allclose(out[..., :-3], img[..., 3:], atol=1e-4)


@pytest.mark.parametrize("model", ["hdv3", "v425"])
def test_identical_frames_come_back_unchanged(request, frame, model):
    interp = request.getfixturevalue(model)
    img = to_batch(frame)
    out = interp.interpolate(img, img)
    psnr = peak_signal_noise_ratio(frame, to_uint8(out[0]), data_range=255)
    print(f"\n{model}: identical pair gives {psnr:.1f} dB against the frame itself")
    assert (out - img).abs().mean() < 0.5 / 255 and psnr > 45
    # The schedule never sends identical pairs to the model: exact copies come back.
    mids, static, cut = inbetweens(interp, img, img, exp=2)
    assert bool(static[0]) and not bool(cut[0])
    assert torch.equal(mids[0], img.expand(3, -1, -1, -1))


@pytest.mark.parametrize("model", ["hdv3", "v425"])
def test_pure_translation_is_reproduced(request, frame, model):
    interp = request.getfixturevalue(model)
    shift = 6
    left, mid, right = frame[:, 0:-2 * shift], frame[:, shift:-shift], frame[:, 2 * shift:]
    out = to_uint8(interp.interpolate(to_batch(left), to_batch(right))[0])
    inner = (slice(8, -8), slice(16, -16))
    psnr = peak_signal_noise_ratio(mid[inner], out[inner], data_range=255)
    avg = ((left.astype(float) + right) / 2).round().astype(np.uint8)
    avg_psnr = peak_signal_noise_ratio(mid[inner], avg[inner], data_range=255)
    print(f"\n{model}: translation by {2 * shift}px, middle frame {psnr:.2f} dB (average {avg_psnr:.2f} dB)")
    assert psnr > 35.0 and psnr > avg_psnr + 8


def test_timestep_endpoints_and_symmetry(v425, frame, triplets):
    a = to_batch(frame)
    b = to_batch(load_rgb(triplets / "large" / "bikes_090" / "frame_02.png")[:256, :320])
    forward = v425.interpolate(a, b, timestep=0.25)
    backward = v425.interpolate(b, a, timestep=0.75)
    assert (forward - backward).abs().mean() < 2 / 255
    near_a = v425.interpolate(a, b, timestep=0.02)
    assert (near_a - a).abs().mean() < (near_a - b).abs().mean()


def test_odd_sizes_are_padded_and_cropped(hdv3, frame):
    img = to_batch(frame[:121, :161])
    assert hdv3.interpolate(img, img).shape == (1, 3, 121, 161)


def test_batch_equals_one_by_one(hdv3, triplets):
    frames = [load_rgb(triplets / "small" / f"carphone_{10 * i:03d}" / "frame_00.png") for i in (1, 2, 3)]
    ends = [load_rgb(triplets / "small" / f"carphone_{10 * i:03d}" / "frame_02.png") for i in (1, 2, 3)]
    batched = hdv3.interpolate(to_batch(*frames), to_batch(*ends))
    single = torch.cat([hdv3.interpolate(to_batch(a), to_batch(b)) for a, b in zip(frames, ends)])
    assert (batched - single).abs().max() < 1e-4


def test_tta_averages_the_flipped_pair(triplets):
    from rifeflow.engine.runtime import load_interpolator

    tta, _ = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, True)
    plain, _ = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    a = to_batch(load_rgb(triplets / "small" / "carphone_010" / "frame_00.png"))
    b = to_batch(load_rgb(triplets / "small" / "carphone_010" / "frame_02.png"))
    flipped = plain.interpolate(a.flip(2, 3), b.flip(2, 3)).flip(2, 3)
    assert torch.allclose(tta.interpolate(a, b), (plain.interpolate(a, b) + flipped) / 2, atol=1e-5)


def test_options_are_validated(hdv3):
    with pytest.raises(ValueError, match="scale must be one of"):
        FrameInterpolator(hdv3.model, torch.device("cpu"), scale=3.0)
    img = torch.zeros(1, 3, 32, 32)
    with pytest.raises(ValueError, match="exp must be an integer from 1 to 4"):
        inbetweens(hdv3, img, img, exp=5)
    with pytest.raises(ValueError, match="direct mode needs"):
        inbetweens(hdv3, img, img, exp=2, mode="direct")
    with pytest.raises(ValueError, match="only interpolates midpoints"):
        hdv3.interpolate(img, img, timestep=0.25)
