"""The output encoders: each codec in each container it allows, as segments joined by packet copy, decoded
back with PyAV; 10-bit kept where the codec carries it; refusals that say what is allowed."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from rifeflow.api import output_encoder
from rifeflow.errors import OptionError
from rifeflow.manifests.codecs import CODECS, check_container, check_quality, output_extension
from rifeflow.manifests.records import EncoderSettings, VideoProbe
from rifeflow.video.encode import pixel_format, resolve_encoder
from rifeflow.video.segments import SegmentWriter, join_segments
from rifeflow.video.write import VideoWriter

RATE = Fraction(60000, 1001)
SOFTWARE = [name for name, spec in CODECS.items() if not spec.software_fallback]


def _probe(source: str, width: int = 96, height: int = 64, bits: int = 8) -> VideoProbe:
    return VideoProbe(source=source, container="mp4", codec="h264", width=width, height=height,
                      pix_fmt="yuv420p10le" if bits > 8 else "yuv420p", bit_depth=bits, fps="30000/1001",
                      frames_decoded=11, frames=11, start_time=0.0, duration=11 / 29.97, vfr=False, colorspace=1,
                      color_range=1, color_primaries=1, color_trc=1, video_stream_index=0, video_streams=1)


def _frames(count: int, width: int, height: int, deep: bool = False) -> list[np.ndarray]:
    y, x = np.mgrid[0:height, 0:width]
    out = []
    for i in range(count):
        rgb = np.stack([(x * 4 + i * 9) % 256, (y * 5) % 256, ((x + y) * 3 + i * 5) % 256], -1)
        out.append((rgb * 257).astype(np.uint16) if deep else rgb.astype(np.uint8))
    return out


def _settings(codec: str, probe: VideoProbe, frame_bits: int = 8) -> EncoderSettings:
    crf, preset = check_quality(codec, None, None)
    if codec in ("libx264", "libx265"):
        preset = "ultrafast"
    return EncoderSettings(codec=codec, crf=crf, preset=preset,
                           pix_fmt=pixel_format(codec, frame_bits, probe.width, probe.height, preset))


@pytest.mark.parametrize("codec", SOFTWARE)
def test_segments_join_into_every_container_the_codec_allows(codec, tmp_path):
    source = tmp_path / "silent.mp4"
    VideoWriter(str(source), _probe("unused"), Fraction(30000, 1001), _settings("libx264", _probe("x")),
                audio=False)  # a real (video-only) source for the join's audio pass
    probe = _probe(str(source))
    writer = VideoWriter(str(source), probe.model_copy(update={"source": str(source)}), Fraction(30000, 1001),
                         _settings("libx264", probe), audio=False)
    for frame in _frames(3, 96, 64):
        writer.write(frame)
    writer.close()
    settings = _settings(codec, probe)
    frames, parts, starts = _frames(11, 96, 64), [], []
    for number, (first, stop) in enumerate([(0, 5), (5, 6), (6, 11)]):
        path = str(tmp_path / f"seg{number}.{'mov' if codec == 'prores_ks' else 'mp4'}")
        segment = SegmentWriter(path, settings, probe, RATE)
        for frame in frames[first:stop]:
            segment.write(frame)
        assert segment.close() == stop - first
        parts.append(path)
        starts.append(first)
    for ext in CODECS[codec].containers:
        out = str(tmp_path / f"joined{ext}")
        join_segments(parts, starts, RATE, probe, out, expected_frames=11)
        with av.open(out) as container:
            stream = container.streams.video[0]
            decoded = list(container.decode(stream))
        assert len(decoded) == 11, (codec, ext)
        times = [f.time for f in decoded]
        tolerance = 0.0006 if ext == ".mkv" else 1e-9  # Matroska keeps milliseconds
        assert all(abs(t - k / float(RATE)) <= tolerance for k, t in enumerate(times)), (codec, ext, times)
        if CODECS[codec].lossless:
            assert all(np.array_equal(f.to_ndarray(format="rgb24"), frames[k]) for k, f in enumerate(decoded))


@pytest.mark.parametrize("codec,deep_out", [("libx264", "yuv420p10le"), ("libx265", "yuv420p10le"),
                                            ("libsvtav1", "yuv420p10le"), ("prores_ks", "yuv422p10le"),
                                            ("ffv1", "rgb48le"), ("libvpx-vp9", "yuv420p")])
def test_a_deep_source_stays_10_bit_where_the_codec_carries_it(codec, deep_out):
    assert pixel_format(codec, 16, 96, 64, check_quality(codec, None, None)[1]) == deep_out
    assert pixel_format(codec, 8, 96, 64, check_quality(codec, None, None)[1]) in ("yuv420p", "yuv422p10le", "bgr0")


def test_odd_sizes_keep_their_size_in_444_or_are_refused_by_420_only_codecs():
    assert pixel_format("libx264", 8, 161, 121) == "yuv444p"
    assert pixel_format("libx265", 16, 161, 121) == "yuv444p10le"
    with pytest.raises(OptionError, match="libsvtav1 takes only 4:2:0.*161x121"):
        pixel_format("libsvtav1", 8, 161, 121)


def test_refusals_say_what_each_codec_takes():
    with pytest.raises(ValueError, match="prores_ks cannot go in a .mp4 file; use .mov or .mkv"):
        check_container("prores_ks", "out.mp4")
    with pytest.raises(ValueError, match="ffv1 cannot go in a .mov file; use .mkv"):
        check_container("ffv1", "out.mov")
    with pytest.raises(ValueError, match="crf for libsvtav1 must be an integer from 1 to 63"):
        check_quality("libsvtav1", 0, None)
    with pytest.raises(ValueError, match="crf does not apply to ffv1"):
        check_quality("ffv1", 10, None)
    with pytest.raises(ValueError, match="preset for prores_ks must be one of proxy, lt, standard, hq, 4444, 4444xq"):
        check_quality("prores_ks", None, "medium")
    with pytest.raises(OptionError, match="codec must be one of libx264, libx265"):
        output_encoder("out.mp4", "h266", None, None)
    assert output_extension("prores_ks", ".mp4") == ".mov" and output_extension("ffv1", ".mov") == ".mkv"
    assert output_extension("libx264", ".mov") == ".mov" and output_extension("libsvtav1", ".mov") == ".mp4"


def test_a_hardware_encoder_that_cannot_run_here_becomes_its_software_codec():
    codec, crf, preset, note = resolve_encoder("hevc_nvenc", 24, "p7")
    if note is None:  # an NVIDIA encoder works on this machine
        assert (codec, crf, preset) == ("hevc_nvenc", 24, "p7")
    else:
        assert (codec, crf, preset) == ("libx265", 24, "medium")
        assert note.startswith("hevc_nvenc is not usable here") and "encoding with libx265" in note


def test_a_decode_time_the_encoder_made_up_is_replaced(tmp_path):
    """x265 given fewer frames than its B-frame delay (a segment of one frame) returns a decode time read from
    memory it never wrote (seen: -94348679998144), which the MP4 muxer refused, one time in a few, on closing the
    segment. Such times, and missing ones or ones after the frame's own, become the next decode tick."""
    from rifeflow.video.encode import FrameEncoder, add_video_stream

    probe = _probe("unused")
    with av.open(str(tmp_path / "one.mp4"), "w") as output:
        encoder = FrameEncoder(add_video_stream(output, _settings("libx265", probe), probe, RATE), probe, 0)
        made = encoder.encode(_frames(1, 96, 64)[0]) + encoder.flush()  # the real encoder, one frame
        assert [p.pts for p in made] == [0] and made[0].dts <= 0
        output.mux(made)

    def packet(pts, dts):
        out = av.Packet(b"\0" * 8)
        out.pts, out.dts = pts, dts
        return out

    encoder.last_dts, encoder.pts = None, 5  # five frames given
    crafted = [packet(0, -94348679998144), packet(2, 1), packet(3, None), packet(4, 10)]
    assert [p.dts for p in encoder._timed(crafted)] == [0, 1, 2, 3]
