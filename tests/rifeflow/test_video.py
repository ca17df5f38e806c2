"""Whole videos through the core: real clips in, checked facts out (PyAV on both sides)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rifeflow import interpolate_video
from rifeflow.video_read import probe_video

CLIPS = {
    "WDA_AlexandriaOcasioCortez_000.mp4": "talking head, MPEG-4 Part 2",
    "WDA_KatieHill_000.mp4": "talking head",
    "retalking_face_1.mp4": "variable frame rate",
    "retalking_face_2.mp4": "talking head 844x844",
    "retalking_face_3.mp4": "talking head 590x590",
    "nasa_13013.mp4": "2 video + 2 audio + subtitle streams, scene cut",
    "exo_roadtrip_vp92_10bit_426x240.webm": "10-bit VP9",
    "exo_hdr10_10bit_1080p.mp4": "10-bit HEVC 1080p, edit list",
    "exo_bear_vp9_odd_161x121.webm": "odd dimensions",
    "exo_video_1_phone.mp4": "phone clip with a 90 degree display rotation",
}


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_clip_comes_out_at_twice_the_rate_with_its_audio(videos, tmp_path, name):
    source = probe_video(str(videos / name))
    # Flow at a quarter of the resolution keeps the suite fast; output keeps the full resolution.
    result = interpolate_video(videos / name, tmp_path / "out.mp4", exp=1, scale=0.25, preset="veryfast")
    out = probe_video(str(tmp_path / "out.mp4"))
    frame = 1 / float(out.rate)
    print(f"\n{name} ({CLIPS[name]}): {source.frames_decoded} frames decoded, {source.frames} on the timeline "
          f"(vfr={source.vfr}) at {source.fps} -> {out.frames_decoded} at {out.fps}; duration "
          f"{source.duration:.3f} -> {out.duration:.3f} s; {result.seconds:.1f} s")

    assert out.rate == source.rate * 2 and Fraction(result.fps_out) == out.rate
    assert out.frames_decoded == result.frames_out == 2 * source.frames
    assert not out.vfr
    assert abs(out.duration - source.duration) <= frame
    assert abs(out.start_time - source.start_time) <= frame
    assert (out.width, out.height, out.rotation) == (source.width, source.height, source.rotation)
    assert out.codec == "h264"
    assert out.bit_depth == (10 if source.bit_depth > 8 else 8)
    # H.264 leaves limited range implicit (unspecified == MPEG); everything else is tagged as given.
    limited = lambda r: 1 if r == 0 else r  # noqa: E731
    assert (out.colorspace, limited(out.color_range), out.color_primaries, out.color_trc) == (
        source.colorspace, limited(source.color_range), source.color_primaries, source.color_trc)
    assert len(out.audio) == len(source.audio)
    for a_in, a_out in zip(source.audio, out.audio):
        assert (a_out.codec, a_out.sample_rate, a_out.channels) == (a_in.codec, a_in.sample_rate, a_in.channels)
        assert a_out.packets == a_in.packets
        assert abs(a_out.duration - a_in.duration) < 1e-3
        assert abs(a_out.start_time - a_in.start_time) < 1e-3
    # Audio and video still end together (the source's own offset preserved).
    for a_in, a_out in zip(source.audio, out.audio):
        src_gap = (a_in.start_time + a_in.duration) - (source.start_time + source.duration)
        out_gap = (a_out.start_time + a_out.duration) - (out.start_time + out.duration)
        assert abs(out_gap - src_gap) <= frame


def test_scene_cut_is_found_in_the_clip_with_a_cut(videos, tmp_path):
    result = interpolate_video(videos / "nasa_13013.mp4", tmp_path / "out.mkv", exp=1, scale=0.25, preset="veryfast")
    assert result.scene_cuts >= 1
