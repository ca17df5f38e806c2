"""Any output frame rate: exact rates and counts, source frames kept, variable-rate sources at their
true times, scene-cut control. Real weights, real clips through PyAV."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from rife_kernels.schedule import at_timesteps, thumbnail_ssim
from rifeflow import interpolate_images, interpolate_video
from rifeflow.engine.stream import PairStats, counting_repeats, interpolate_stream, interpolate_timeline
from rifeflow.engine.runtime import load_interpolator
from rifeflow.errors import OptionError
from rifeflow.metrics.quality import psnr
from rifeflow.video.sample import make_sample_clip
from rifeflow.video.timeline import timeline_plan
from rifeflow.video.read import decode_frames, probe_timeline, probe_video
from tests.helpers import load_rgb, make_vfr_clip, to_batch


def test_bisection_reaches_dyadic_steps_exactly_and_others_within_tolerance(hdv3):
    interp = hdv3
    a, b = (load_rgb(f"{p}") for p in _pair("bikes_090"))
    img0, img1 = to_batch(a), to_batch(b)
    quarter = at_timesteps(interp, img0, img1, [Fraction(1, 4)], Fraction(1, 64))
    half = interp.interpolate(img0, img1)
    assert torch.equal(quarter, interp.interpolate(img0, half))  # the chain's own 1/4 frame
    third = at_timesteps(interp, img0, img1, [Fraction(1, 3)], Fraction(1, 16))
    assert torch.equal(third, interp.interpolate(interp.interpolate(img0, half), half))  # 5/16, within 1/16 of 1/3


def _pair(name):
    from tests.media import triplets_dir

    folder = triplets_dir() / "large" / name
    return folder / "frame_00.png", folder / "frame_02.png"


@pytest.fixture(scope="module")
def clip25(tmp_path_factory):
    return make_sample_clip(str(tmp_path_factory.mktemp("rates") / "c25.mp4"), seconds=2.0, size=96, fps=25)


def test_25_to_60_gives_that_rate_count_and_audio(clip25, tmp_path):
    out = tmp_path / "c60.mp4"
    result = interpolate_video(clip25, out, fps="60")
    source, made = probe_video(clip25), probe_video(str(out))
    assert made.rate == 60 and made.frames == made.frames_decoded == 120 == result.frames_out
    assert abs(made.duration - source.duration) < 1e-9 and made.start_time == pytest.approx(source.start_time)
    assert [(a.codec, a.packets) for a in made.audio] == [(a.codec, a.packets) for a in source.audio]
    def av_offset(p):
        return p.audio[0].start_time + p.audio[0].duration - (p.start_time + p.duration)

    assert abs(av_offset(made) - av_offset(source)) < 0.5 / 60  # sync as the source had it


def test_ntsc_30_to_60_gives_that_rate_and_count(tmp_path):
    from tests.helpers import write_clip

    from rifeflow.video.sample import _frame

    src = tmp_path / "ntsc.mp4"
    write_clip(src, [_frame(i / 30, 64) for i in range(30)], fps=Fraction(30000, 1001))
    result = interpolate_video(src, tmp_path / "out.mp4", fps="60000/1001")
    made = probe_video(str(tmp_path / "out.mp4"))
    assert made.rate == Fraction(60000, 1001) and made.frames == 60 == result.frames_out


def test_source_times_keep_the_source_frames_untouched(clip25, hdv3):
    probe, times = probe_timeline(clip25)
    plan = timeline_plan(probe, times, Fraction(60))
    interp, _ = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    source = list(decode_frames(probe))
    out = list(interpolate_timeline(interp, iter(source), plan.positions, plan.tolerance, 1))
    assert len(out) == 120
    for k in range(0, 120, 12):  # k / 60 == i / 25 exactly
        assert out[k] is source[k * 25 // 60]
    same = timeline_plan(probe, times, Fraction(25))
    assert all(a is b for a, b in zip(interpolate_timeline(interp, iter(source), same.positions, same.tolerance, 1),
                                      source, strict=True))  # --fps equal to the source rate: the input frames


def test_fps_and_exp_are_exclusive_and_bad_rates_name_the_problem(clip25, tmp_path):
    with pytest.raises(OptionError, match="not both"):
        interpolate_video(clip25, tmp_path / "x.mp4", exp=1, fps="60")
    with pytest.raises(OptionError, match="not a frame rate"):
        interpolate_video(clip25, tmp_path / "x.mp4", fps="sixty")


def test_variable_rate_source_moves_in_every_output_frame(tmp_path, hdv3):
    clip = make_vfr_clip(tmp_path / "vfr.mp4")
    probe = probe_video(str(clip))
    assert probe.vfr and probe.rate == Fraction(30000, 1001)
    interp, _ = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    before = PairStats()  # what rifeflow did before: the constant-rate slots, then 2x
    list(counting_repeats(interpolate_stream(interp, decode_frames(probe), 1, batch_size=1), before))
    result = interpolate_video(clip, tmp_path / "out.mp4", exp=1)
    made = probe_video(str(tmp_path / "out.mp4"))
    assert made.rate == Fraction(60000, 1001) and made.frames == 2 * probe.frames and not made.vfr
    print(f"\nVFR clip: output frames identical to the one before: {before.duplicate_ratio:.1%} before, "
          f"{result.duplicate_frame_ratio:.1%} now")
    assert before.duplicate_ratio > 0.3
    assert result.duplicate_frame_ratio <= 2 / made.frames  # only the held last frame repeats


def test_an_explicit_image_pair_is_always_interpolated(triplets):
    folder = triplets / "small" / "carphone_080"
    a, b, truth = (load_rgb(folder / n) for n in ("frame_00.png", "frame_02.png", "frame_01_gt.png"))
    ssim = float(thumbnail_ssim(to_batch(a), to_batch(b)))
    as_cut = interpolate_images(a, b, exp=1, scene_threshold=ssim + 0.01)[0]  # a video would call this a cut
    assert np.array_equal(as_cut, b)
    middle = interpolate_images(a, b, exp=1)[0]  # no detection unless asked
    assert not np.array_equal(middle, a) and not np.array_equal(middle, b)
    assert psnr(truth, middle) > max(psnr(truth, a), psnr(truth, b)) + 1


@pytest.mark.parametrize("model", ["rife-hdv3", "rife-4.25"])
def test_off_midpoint_frames_beat_the_weighted_blend_on_real_footage(model, videos):
    """Every third frame kept; the two dropped ones rebuilt at t = 1/3 and 2/3 from their kept neighbours."""
    from rifeflow.engine.runtime import to_arrays, to_tensor

    interp, _ = load_interpolator(model, None, "cpu", 1.0, False, False)
    probe = probe_video(str(videos / "talking_head.mp4"))
    frames = list(decode_frames(probe, 8, 70, 83))  # frames that move (earlier ones barely do)
    made_db, blend_db = [], []
    for i in range(0, len(frames) - 3, 3):
        a, b = to_tensor([frames[i]], interp.device), to_tensor([frames[i + 3]], interp.device)
        made = to_arrays(at_timesteps(interp, a, b, [Fraction(1, 3), Fraction(2, 3)], Fraction(1, 64)), np.uint8)
        for j in (1, 2):
            blend = ((frames[i].astype(float) * (3 - j) + frames[i + 3].astype(float) * j) / 3).round()
            made_db.append(psnr(frames[i + j], made[j - 1]))
            blend_db.append(psnr(frames[i + j], blend.astype(np.uint8)))
    print(f"\n{model}: t = 1/3, 2/3 from neighbours 3 frames apart: {np.mean(made_db):.2f} dB, "
          f"weighted blend {np.mean(blend_db):.2f} dB")
    assert np.mean(made_db) > np.mean(blend_db) + 0.5


def test_timestep_models_are_named_as_the_registry_builds_them():
    from rife_kernels import MODELS
    from rife_kernels.names import TIMESTEP_MODELS

    assert set(TIMESTEP_MODELS) == {name for name, spec in MODELS.items() if spec.supports_timestep}
