"""rifeflow's own PSNR, SSIM and luma, on real frames, against scikit-image and the BT.709 formula."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from rifeflow.metrics.quality import TemporalStats, luma, neighbour_average, psnr, ssim, ssims
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


@pytest.mark.parametrize("deep", [False, True], ids=["8-bit", "16-bit"])
def test_ssim_is_skimages_value_and_scoring_several_against_one_reference_changes_nothing(frames, deep):
    a, b = frames
    average = neighbour_average(a, b)
    if deep:
        a, b, average = (f.astype(np.uint16) * 257 for f in (a, b, average))
    peak = 65535 if deep else 255
    expected = [structural_similarity(a, t, data_range=peak, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False) for t in (b, average)]
    one_by_one = [ssim(a, b), ssim(a, average)]
    assert one_by_one == pytest.approx(expected, abs=5e-6)  # float32 sums against float64: about 1e-6
    assert ssims(a, [b, average]) == one_by_one  # the reference's statistics shared: the same numbers exactly
    assert ssim(a, a.copy()) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="differ in shape"):
        ssims(a, [b, b[:-2]])


def test_the_neighbours_average_rounds_half_to_even(frames):
    a, b = frames
    for x, y in ((a, b), (a.astype(np.uint16) * 257, b.astype(np.uint16) * 251)):
        assert np.array_equal(neighbour_average(x, y), np.round((x.astype(np.float64) + y) / 2).astype(x.dtype))


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


@pytest.mark.parametrize("deep", [False, True], ids=["8-bit", "16-bit"])
def test_the_temporal_measures_are_their_definitions(frames, deep):
    a, b = frames
    if deep:
        a, b = a.astype(np.uint16) * 257, b.astype(np.uint16) * 257
    stats = TemporalStats()
    for frame in (a, b, b.copy(), a):
        stats.add(frame)
    level = 255.0 / 65535.0 if deep else 1.0
    weights = np.array([0.2126, 0.7152, 0.0722])
    change = float(np.abs((b.astype(np.float64) - a) @ weights).mean()) * level
    pair_psnr = peak_signal_noise_ratio(a, b, data_range=65535 if deep else 255)
    assert stats.frames == 4 and stats.repeats == 1
    assert stats.change_sum == pytest.approx(2 * change, rel=1e-5)
    assert stats.psnr_sum == pytest.approx(2 * pair_psnr + 100.0, abs=1e-6)
    assert stats.first_change == pytest.approx(change, rel=1e-5)
    assert stats.flicker_sum == pytest.approx(2 * change, rel=1e-5)  # change, 0, change: two steps of `change`
