"""The web page's held-out check scores with the model and options the user chose (no browser needed)."""
from __future__ import annotations

from types import SimpleNamespace

from rifeflow.manifests.records import InterpolationOptions
from rifeflow.steps.heldout import heldout_of_file
from rifeflow.ui_parts import facts as _facts
from rifeflow.video.read import probe_video
from rifeflow.video.sample import make_sample_clip


def test_the_held_out_line_is_the_chosen_models(tmp_path):
    clip = make_sample_clip(str(tmp_path / "clip.mp4"), seconds=1.0, size=96)
    probe = probe_video(clip)
    result = SimpleNamespace(fps_in="25", fps_out="50", frames_in=probe.frames, frames_out=2 * probe.frames,
                             audio_streams=1, seconds=1.0, scene_cuts=0, static_pairs=0)
    lines = {}
    for model, scale in (("rife-hdv3", 1.0), ("rife-4.25", 0.5)):
        options = InterpolationOptions(model=model, scale=scale)
        expected = heldout_of_file(clip, options, None, 8)[0].model_dump()
        assert expected["heldout_n"] > 0
        text = _facts(result, clip, options)
        assert f"{expected['heldout_psnr_db']:.2f} dB PSNR" in text
        lines[model] = expected["heldout_psnr_db"]
    assert lines["rife-hdv3"] != lines["rife-4.25"]  # a different model really ran


def test_the_held_out_line_shows_the_mouth_beside_the_whole_frame(videos):
    from rifeflow.video.read import probe_video

    clip = str(videos / "talking_head.mp4")
    probe = probe_video(clip)
    result = SimpleNamespace(fps_in="25", fps_out="50", frames_in=probe.frames, frames_out=2 * probe.frames,
                             audio_streams=1, seconds=1.0, scene_cuts=0, static_pairs=0)
    held, mouth = heldout_of_file(clip, InterpolationOptions(), None, 8)
    text = _facts(result, clip, InterpolationOptions())
    assert mouth.box is not None and held.mouth_heldout_n == held.heldout_n
    assert f"At the mouth: **{held.mouth_heldout_psnr_db:.2f} dB**" in text
