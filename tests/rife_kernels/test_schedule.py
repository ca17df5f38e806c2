"""Chained and direct schedules, scene cuts and static pairs, on real frames."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rife_kernels import classify_pairs, inbetweens
from tests.helpers import load_rgb, to_batch


class CountingInterpolator:
    """The real interpolator, with a count of the pairs it was asked for."""

    def __init__(self, inner):
        self.inner = inner
        self.pairs = 0
        self.supports_timestep = inner.supports_timestep

    def interpolate(self, img0, img1, timestep=None):
        self.pairs += img0.shape[0]
        return self.inner.interpolate(img0, img1, timestep)


@pytest.fixture(scope="module")
def pair(triplets):
    folder = triplets / "small" / "carphone_030"
    return to_batch(load_rgb(folder / "frame_00.png")), to_batch(load_rgb(folder / "frame_02.png"))


@pytest.fixture(scope="module")
def other_shot(triplets, pair):
    """A frame of another video (the cyclists), brought to the pair's size: a cut."""
    from PIL import Image

    height, width = pair[0].shape[-2:]
    image = Image.open(triplets / "large" / "bikes_090" / "frame_00.png").convert("RGB").resize((width, height))
    return to_batch(np.array(image))


@pytest.mark.parametrize("exp", [1, 2, 3, 4])
def test_chain_makes_2_to_the_exp_minus_one_frames_with_one_pass_per_midpoint(hdv3, pair, exp):
    counter = CountingInterpolator(hdv3)
    mids, static, cut = inbetweens(counter, *pair, exp=exp, max_batch=8)
    assert mids.shape == (1, 2**exp - 1, 3, *pair[0].shape[2:])
    assert counter.pairs == 2**exp - 1
    assert not static.any() and not cut.any()


def test_chain_midpoint_is_the_plain_model_output(hdv3, pair):
    mids, _, _ = inbetweens(hdv3, *pair, exp=2)
    mid = hdv3.interpolate(*pair)
    assert torch.allclose(mids[0, 1], mid, atol=1e-4)
    assert torch.allclose(mids[0, 0], hdv3.interpolate(pair[0], mid), atol=1e-4)


def test_direct_uses_timesteps_and_agrees_with_chain_at_the_middle(v425, pair):
    direct, _, _ = inbetweens(v425, *pair, exp=2, mode="direct")
    chain, _, _ = inbetweens(v425, *pair, exp=2, mode="chain")
    assert torch.allclose(direct[0, 1], chain[0, 1], atol=1e-5)
    assert torch.allclose(direct[0, 0], v425.interpolate(*pair, timestep=0.25), atol=1e-4)
    # Frames move monotonically from img0 to img1.
    dist0 = [(direct[0, i] - pair[0][0]).abs().mean().item() for i in range(3)]
    assert dist0 == sorted(dist0)


def test_scene_cut_repeats_the_nearer_frame_without_the_model(hdv3, pair, other_shot):
    counter = CountingInterpolator(hdv3)
    img0 = torch.cat([pair[0], pair[0]])
    img1 = torch.cat([pair[1], other_shot])
    mids, static, cut = inbetweens(counter, img0, img1, exp=2)
    assert cut.tolist() == [False, True] and not static.any()
    assert counter.pairs == 3  # only the first pair's three frames
    assert torch.equal(mids[1, 0], img0[1]) and torch.equal(mids[1, 1], img1[1]) and torch.equal(mids[1, 2], img1[1])


def test_classify_pairs_on_real_frames(pair, other_shot):
    static, cut = classify_pairs(torch.cat([pair[0], pair[0], pair[0]]), torch.cat([pair[0], pair[1], other_shot]))
    assert static.tolist() == [True, False, False]
    assert cut.tolist() == [False, False, True]


def test_a_still_pair_is_decided_on_every_pixel_not_on_the_sample(pair):
    """The static check looks at a sparse sample first; a pair that differs only off that sample is still
    told apart, and a pair within the tolerance everywhere is still. Mixed batches give what single pairs give,
    and a batch where every pair moves gives the model's frames as a batch with still pairs does."""
    frame = pair[0]
    off_sample = frame.clone()
    off_sample[0, :, 3, 5] = (off_sample[0, :, 3, 5] + 0.5) % 1.0  # (3, 5) is not on the every-8th grid
    within = (frame + 1.5 / 255).clamp(0, 1)
    static, _ = classify_pairs(torch.cat([frame, frame, frame, frame]), torch.cat([off_sample, within, pair[1], frame]))
    assert static.tolist() == [False, True, False, True]
    for other, expected in ((off_sample, False), (within, True)):
        assert classify_pairs(frame, other)[0].tolist() == [expected]


def test_a_batch_of_moving_pairs_gives_what_each_pair_gives(hdv3, pair):
    flipped = (pair[0].flip(3), pair[1].flip(3))
    batch, static, cut = inbetweens(hdv3, torch.cat([pair[0], flipped[0]]), torch.cat([pair[1], flipped[1]]), exp=2)
    assert not static.any() and not cut.any()
    mixed, static, _ = inbetweens(hdv3, torch.cat([pair[0], pair[0], flipped[0]]),
                                  torch.cat([pair[1], pair[0], flipped[1]]), exp=2)
    assert static.tolist() == [False, True, False]
    assert torch.allclose(batch[0], mixed[0], atol=1e-6) and torch.allclose(batch[1], mixed[2], atol=1e-6)
    assert torch.equal(mixed[1], pair[0].expand(3, -1, -1, -1))


def test_a_thumbnail_from_sampled_pixels_scores_pairs_as_one_from_every_pixel(triplets):
    """Thumbnails of big frames are made from about 128 pixels along the short side: each pair's SSIM stays within
    0.01 of the one from thumbnails of every pixel (then, neighbours and a cut stay on their side of 0.2)."""
    import torch.nn.functional as F
    from PIL import Image

    from rife_kernels.schedule import thumbnail, thumbnail_ssim

    def every_pixel(frames):
        small = F.interpolate(frames, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
        return 0.299 * small[:, 0:1] + 0.587 * small[:, 1:2] + 0.114 * small[:, 2:3]

    def big(path):  # 1280x720, as a typical render
        return to_batch(np.array(Image.open(path).convert("RGB").resize((1280, 720), Image.BICUBIC)))

    folders = sorted(p for p in (triplets / "large").iterdir() if p.is_dir())
    first = torch.cat([big(f / "frame_00.png") for f in folders] + [big(folders[0] / "frame_00.png")])
    second = torch.cat([big(f / "frame_02.png") for f in folders] + [big(folders[-1] / "frame_00.png")])
    sampled = thumbnail_ssim(first, second)
    whole = thumbnail_ssim(first, second, (every_pixel(first), every_pixel(second)))
    assert torch.allclose(sampled, whole, atol=0.01), (sampled, whole)
    assert thumbnail(first).shape == (len(first), 1, 32, 32)
    assert ((sampled < 0.2) == (whole < 0.2)).all() and bool(whole[-1] < 0.2) and bool((whole[:-1] > 0.2).all())
