"""rifeflow's own PSNR and luma, on real frames, against scikit-image and the BT.709 formula."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from rifeflow.metrics.quality import luma, psnr
from tests.helpers import load_rgb


@pytest.fixture
def frames(triplets):
    triplet = sorted(p for p in (triplets / "large").iterdir() if p.is_dir())[0]
    return load_rgb(triplet / "frame_00.png"), load_rgb(triplet / "frame_01_gt.png")


def test_psnr_is_skimages_value(frames):
    a, b = frames
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-9)
    deep_a, deep_b = a.astype(np.uint16) * 257, b.astype(np.uint16) * 257
    assert psnr(deep_a, deep_b) == pytest.approx(peak_signal_noise_ratio(deep_a, deep_b, data_range=65535), abs=1e-6)


def test_psnr_of_identical_frames_is_capped_and_shapes_must_match(frames):
    a, b = frames
    assert psnr(a, a.copy()) == 100.0
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(a, b[:-2])


def test_luma_is_bt709_in_8_bit_levels(frames):
    a, _ = frames
    expected = a[..., 0] * 0.2126 + a[..., 1] * 0.7152 + a[..., 2] * 0.0722
    assert luma(a).dtype == np.float32
    np.testing.assert_allclose(luma(a), expected, atol=1e-3)
    np.testing.assert_allclose(luma(a.astype(np.uint16) * 257), expected, atol=1e-3)
