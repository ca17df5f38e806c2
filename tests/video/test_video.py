"""Whole videos through the core: real clips in, checked facts out (PyAV on both sides)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rifeflow import interpolate_video
from rifeflow.video.read import probe_video

# Leading audio packets FFmpeg's MP4 muxer drops as invalid ("Dropping invalid packet from start of
# the stream"): the AVI's first AC-3 packet is 729 bytes of a 768-byte frame. The rest keep their times.
DROPPED_AT_START = {"megamind.avi": 1}

CLIPS = {  # tests/media: registry files as they are, and clips made from their frames
    "talking_head_mpeg4.mp4": "talking head, MPEG-4 Part 2, AAC 16 kHz",
    "talking_head.mp4": "talking head, H.264, AAC 16 kHz",
    "vfr.mp4": "variable frame rate (33 and 67 ms frames)",
    "bigbuckbunny.mp4": "720p with AAC 48 kHz stereo",
    "megamind.avi": "AVI, MPEG-4 Part 2 with AC-3 audio whose first packet is cut short",
    "scene_cut_streams.mp4": "2 video + 2 audio streams, scene cut",
    "av1_10bit.webm": "10-bit AV1 in WebM",
    "hevc_10bit_1080p.mp4": "10-bit HEVC 1080p, edit list",
    "vp9_odd_161x121.webm": "VP9, odd dimensions",
    "phone_rotated.mp4": "phone clip with a 90 degree display rotation",
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
        dropped = DROPPED_AT_START.get(name, 0)
        assert a_out.packets == a_in.packets - dropped
        lost = dropped * a_in.duration / a_in.packets
        assert abs(a_out.duration - (a_in.duration - lost)) < 1e-3
        assert abs(a_out.start_time - (a_in.start_time + lost)) < 1e-3
    # Audio and video still end together (the source's own offset preserved).
    for a_in, a_out in zip(source.audio, out.audio):
        src_gap = (a_in.start_time + a_in.duration) - (source.start_time + source.duration)  # the end is kept
        out_gap = (a_out.start_time + a_out.duration) - (out.start_time + out.duration)
        assert abs(out_gap - src_gap) <= frame


def test_scene_cut_is_found_in_the_clip_with_a_cut(videos, tmp_path):
    result = interpolate_video(videos / "scene_cut_streams.mp4", tmp_path / "out.mkv", exp=1, scale=0.25, preset="veryfast")
    assert result.scene_cuts >= 1


def test_source_frames_reach_the_encoder_as_decoded_and_still_pairs_repeat_them(tmp_path):
    """Each source frame is encoded from the decoder's own picture, not converted to RGB and back, and a
    still pair's in-between is that same picture: losslessly encoded (x264 crf 0), they decode to the source's
    planes exactly, while the model's in-betweens are new pictures."""
    import av
    import numpy as np

    from rifeflow.video.sample import make_sample_clip

    source = make_sample_clip(str(tmp_path / "clip.mp4"), seconds=0.6, size=96)
    with av.open(source) as clip:
        planes = [frame.to_ndarray() for frame in clip.decode(video=0)]
    still = tmp_path / "still.mp4"  # the clip with its first frame shown twice: one still pair
    with av.open(source) as clip, av.open(str(still), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width = stream.height = 96
        stream.options = {"crf": "0"}
        pictures = [frame.reformat(format="yuv420p") for frame in clip.decode(video=0)]
        for number, picture in enumerate([pictures[0]] + pictures):
            copy = av.VideoFrame.from_ndarray(picture.to_ndarray(), format="yuv420p")
            copy.pts = number
            out.mux(stream.encode(copy))
        out.mux(stream.encode(None))
    result = interpolate_video(str(still), str(tmp_path / "out.mp4"), exp=1, crf=0)
    assert result.static_pairs == 1
    with av.open(str(tmp_path / "out.mp4")) as made:
        out_planes = [frame.to_ndarray() for frame in made.decode(video=0)]
    shown = [planes[0]] + planes
    assert len(out_planes) == 2 * len(shown)
    for number, plane in enumerate(shown):
        assert np.array_equal(out_planes[2 * number], plane), f"source frame {number} was changed"
    assert np.array_equal(out_planes[1], planes[0])  # the still pair's in-between: the source picture itself
    moving = out_planes[3]  # between source frames 0 and 1 of the clip: made by the model
    assert not np.array_equal(moving, planes[0]) and not np.array_equal(moving, planes[1])


@pytest.mark.parametrize("name", ["talking_head.mp4", "bigbuckbunny.mp4", "megamind.avi"])
def test_a_frame_made_in_rgb_comes_back_as_bright_as_the_source(videos, tmp_path, name):
    """In-betweens are made in RGB and converted back to the encoder's YUV. Source frames taken the same way
    (decoded to RGB, encoded losslessly) keep their luma: swscale's fast path to RGB made every such frame about a
    level darker than the source frames around it, a flicker at the output rate that x264 then spent half as much
    again to code."""
    import av
    import numpy as np

    from rifeflow.manifests.records import EncoderSettings
    from rifeflow.video.read import decode_frames
    from rifeflow.video.write import VideoWriter

    probe = probe_video(str(videos / name))
    rgb = [np.asarray(frame) for frame in decode_frames(probe, 8, 0, 4)]  # plain arrays: no decoder picture kept
    settings = EncoderSettings(codec="libx264", crf=0, preset="ultrafast", pix_fmt="yuv420p")  # crf 0: lossless
    writer = VideoWriter(str(tmp_path / "through_rgb.mp4"), probe, Fraction(25), settings, audio=False)
    for frame in rgb:
        writer.write(frame)
    writer.close()
    with av.open(str(videos / name)) as source, av.open(str(tmp_path / "through_rgb.mp4")) as made:
        decoded = [frame.reformat(format="yuv420p").to_ndarray() for _, frame in zip(range(8), source.decode(video=0))]
        after = [frame.to_ndarray() for frame in made.decode(video=0)]
    before = [decoded[k] for k in (probe.slot_sources or range(4))[:4]]  # the AVI's timeline skips some frames
    height = probe.height
    assert len(after) == 4
    for number, (a, b) in enumerate(zip(before, after)):
        difference = b[:height].astype(int) - a[:height]
        # Colours outside RGB's gamut are clipped on the way, so not every pixel comes back; the fast path's
        # frames were about a level off on average.
        assert abs(difference.mean()) < 0.1 and np.abs(difference).mean() < 0.1, (name, number, difference.mean())


def test_a_full_range_jpeg_source_keeps_its_pictures_and_its_range(tmp_path):
    """MJPEG decodes to FFmpeg's full-range yuvj420p: its frames reach the encoder as decoded (x264 crf 0 gives
    their planes back exactly), not through RGB, and the output is tagged full range."""
    import av
    import numpy as np

    from tests.helpers import write_clip

    x = np.arange(160)[None, :, None]
    frames = [np.broadcast_to(((x + 6 * k) * 3 % 256).astype(np.uint8), (120, 160, 3)).copy() for k in range(5)]
    source = write_clip(tmp_path / "camera.avi", frames, codec="mjpeg", pix_fmt="yuvj420p", options={"qscale": "2"})
    interpolate_video(str(source), str(tmp_path / "out.mp4"), exp=1, crf=0, scale=0.5)
    with av.open(str(source)) as clip, av.open(str(tmp_path / "out.mp4")) as made:
        before = [(frame.format.name, frame.to_ndarray()) for frame in clip.decode(video=0)]
        after = [frame.to_ndarray() for frame in made.decode(video=0)]
    assert before[0][0] == "yuvj420p" and len(after) == 2 * len(before)
    for number, (_, planes) in enumerate(before):
        assert np.array_equal(after[2 * number], planes), f"source frame {number} was changed"
    assert probe_video(str(tmp_path / "out.mp4")).color_range == 2
