"""Encoding frames with the codec the user picked: its pixel format for the source's depth and size, its
options for --crf and --preset (manifests/codecs.py says what they mean), the source's colour tags, and
whether a hardware encoder is usable on this machine.
"""
from __future__ import annotations

import functools
import logging
import os
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import Interpolation

from rifeflow.errors import OptionError
from rifeflow.manifests.codecs import PRORES_PROFILES, codec_spec
from rifeflow.manifests.records import EncoderSettings, VideoProbe
from rifeflow.video.x264_cpu import this_machines_x264_asm

log = logging.getLogger(__name__)

# swscale's matrices by the stream's AVColorSpace value; unknown ones decode as BT.601.
_MATRIX = {1: "itu709", 4: "fcc", 5: "itu601", 6: "smpte170m", 7: "smpte240m", 9: "bt2020", 10: "bt2020"}
# swscale's default RGB->YUV path rounds with a bias of about a level; accurate rounding removes it.
RGB_TO_YUV = Interpolation.BILINEAR | Interpolation.ACCURATE_RND
RGB_COLORSPACE, FULL_RANGE = 0, 2
# Pixel formats by (deep, full chroma), best first; the first one the encoder takes is used.
_CANDIDATES = {
    (False, False): ("yuv420p",), (True, False): ("yuv420p10le", "p010le"),
    (False, True): ("yuv444p",), (True, True): ("yuv444p10le", "yuv444p16le"),
}


def _formats(codec: str) -> tuple[str, ...]:
    return tuple(f.name for f in (av.codec.Codec(codec, "w").video_formats or ()))


def pixel_format(codec: str, frame_bits: int, width: int, height: int, preset: str | None = None) -> str:
    """The encoder's pixel format for RGB frames of `frame_bits` (8 or 16) at this size.

    ffv1 keeps the RGB frames exactly. ProRes is 10-bit 4:2:2 (4:4:4 for its 4444 profiles). The rest
    take 4:2:0, or 4:4:4 for odd sizes (4:2:0 needs even ones), 10-bit where the source is deeper
    than 8 bits and the encoder carries it. OptionError when the encoder cannot take the size.
    """
    spec = codec_spec(codec)
    if spec.family == "ffv1":
        return "rgb48le" if frame_bits > 8 else "bgr0"
    if spec.family == "prores":
        return "yuv444p10le" if preset in ("4444", "4444xq") else "yuv422p10le"
    odd = bool(width % 2 or height % 2)
    offered = _formats(codec)
    for deep in ((True, False) if frame_bits > 8 else (False,)):
        found = next((f for f in _CANDIDATES[(deep, odd)] if f in offered), None)
        if found:
            if deep is False and frame_bits > 8:
                log.info("%s in this build has no 10-bit formats: the output is 8-bit", codec)
            return found
    raise OptionError(f"{codec} takes only 4:2:0, which needs even frame sizes, and this video is {width}x{height}: "
                      "use libx264 or libx265, which keep odd sizes in 4:4:4")


def codec_options(settings: EncoderSettings) -> dict[str, str]:
    """The encoder's own options for the settings' crf and preset."""
    codec, crf, preset = settings.codec, settings.crf, settings.preset
    if codec == "libx264":
        options = {"crf": str(crf), "preset": preset}
        asm = this_machines_x264_asm()
        return {**options, "x264-params": f"asm={asm}"} if asm else options  # reproducible (x264_cpu.py)
    if codec == "libx265":
        return {"crf": str(crf), "preset": preset, "x265-params": "log-level=error"}
    if codec == "libsvtav1":
        return {"crf": str(crf), "preset": preset}
    if codec == "libvpx-vp9":
        return {"crf": str(crf), "b": "0", "cpu-used": preset, "deadline": "good", "row-mt": "1"}
    if codec == "prores_ks":
        return {"profile": str(PRORES_PROFILES.index(preset))}
    if codec == "ffv1":  # every frame a keyframe, so a frame's bytes never depend on where its segment starts
        return {"level": "3", "g": "1", "slices": "4", "slicecrc": "1"}
    if codec.endswith("_nvenc"):
        return {"rc": "vbr", "cq": str(crf), "b": "0", "preset": preset}
    raise OptionError(f"no options known for codec {codec}")


def add_video_stream(output: av.container.OutputContainer, settings: EncoderSettings, probe: VideoProbe,
                     rate: Fraction) -> av.video.stream.VideoStream:
    """A stream of `output` that encodes like every other segment of this video: size, format, options, tags."""
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its whole configuration at INFO otherwise
    stream = output.add_stream(settings.codec, rate=rate)
    stream.width, stream.height, stream.pix_fmt = probe.width, probe.height, settings.pix_fmt
    stream.options = codec_options(settings)
    cc = stream.codec_context
    cc.time_base = 1 / Fraction(rate)
    rgb_out = settings.pix_fmt in ("bgr0", "rgb48le")
    cc.colorspace = RGB_COLORSPACE if rgb_out else probe.colorspace
    cc.color_range = FULL_RANGE if rgb_out else probe.color_range
    cc.color_primaries, cc.color_trc = probe.color_primaries, probe.color_trc
    if probe.rotation:
        stream.set_display_rotation(probe.rotation)  # players turn phone footage upright, as for the source
    return stream


class FrameEncoder:
    """RGB frames (H, W, 3) uint8/uint16 in, packets of one video stream out, at pts0, pts0 + 1, ..."""

    def __init__(self, stream, probe: VideoProbe, pts0: int):
        self.stream = stream
        self.pix_fmt = stream.pix_fmt
        self.matrix = _MATRIX.get(probe.colorspace, "itu601")
        self.range = "JPEG" if probe.color_range == 2 else "MPEG"
        self.time_base = stream.codec_context.time_base
        self.pts = self.pts0 = pts0
        self.last_dts: int | None = None

    def encode(self, rgb: np.ndarray) -> list[av.Packet]:
        frame = self._source_picture(rgb)
        if frame is None:
            fmt = "rgb48le" if rgb.dtype == np.uint16 else "rgb24"
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=fmt)
            if self.pix_fmt in ("bgr0", "rgb48le"):
                frame = frame.reformat(format=self.pix_fmt)
            else:
                frame = frame.reformat(format=self.pix_fmt, dst_colorspace=self.matrix, dst_color_range=self.range,
                                       interpolation=RGB_TO_YUV)
        frame.pts, frame.time_base = self.pts, self.time_base
        self.pts += 1
        return self._timed(self.stream.encode(frame))

    def _timed(self, packets: list[av.Packet]) -> list[av.Packet]:
        """The packets, a decode time the encoder left unset or made up replaced: x265 given fewer frames than its
        B-frame delay (a segment of one frame) returns a decode time read from memory it never wrote, which the
        MP4 muxer refuses, one time in a few, when it closes the file."""
        for packet in packets:
            dts, pts = packet.dts, packet.pts
            if pts is not None and (dts is None or dts > pts or dts < self.pts0 - (self.pts - self.pts0)):
                packet.dts = dts = pts if self.last_dts is None else self.last_dts + 1
            if dts is not None:
                self.last_dts = dts
        return packets

    def _source_picture(self, rgb: np.ndarray) -> av.VideoFrame | None:
        """The decoder's picture behind a source frame (video/pictures.py: DecodedFrame) when it is in the
        encoder's pixel format and size: a source frame is then encoded exactly as decoded."""
        planes, pix_fmt = getattr(rgb, "planes", None), getattr(rgb, "pix_fmt", None)
        if planes is None or pix_fmt != self.pix_fmt or rgb.shape[:2] != (self.stream.height, self.stream.width):
            return None
        try:
            return av.VideoFrame.from_ndarray(planes, format=pix_fmt)
        except (ValueError, TypeError, AssertionError):  # PyAV takes no odd sizes in 4:2:0: converted from RGB
            return None

    def flush(self) -> list[av.Packet]:
        return self._timed(self.stream.encode(None))


@functools.lru_cache(maxsize=None)
def unusable_reason(codec: str) -> str | None:
    """Why `codec` cannot encode on this machine (opened once per process, on a small frame), or None."""
    try:
        context = av.codec.CodecContext.create(codec, "w")
        context.width, context.height, context.pix_fmt = 256, 256, "yuv420p"
        context.time_base = Fraction(1, 25)
        context.open()
        frame = av.VideoFrame(256, 256, "yuv420p")
        frame.pts = 0
        context.encode(frame)
        context.encode(None)
    except (av.FFmpegError, ValueError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def resolve_encoder(codec: str, crf: int | None, preset: str | None) -> tuple[str, int | None, str | None, str | None]:
    """(codec, crf, preset, note): a hardware encoder that cannot run here becomes its software codec, with
    the note saying so; the quality number carries over where the fallback takes it, the preset does not."""
    from rifeflow.manifests.codecs import check_quality

    spec = codec_spec(codec)
    crf, preset = check_quality(codec, crf, preset)
    if spec.software_fallback is None:
        return codec, crf, preset, None
    reason = unusable_reason(codec)
    if reason is None:
        return codec, crf, preset, None
    fallback = codec_spec(spec.software_fallback)
    low, high = fallback.crf_range
    crf = crf if low <= crf <= high else fallback.crf_default
    note = (f"{codec} is not usable here ({reason.splitlines()[0][:160]}); encoding with {fallback.name} "
            f"(crf {crf}, preset {fallback.preset_default})")
    return fallback.name, crf, fallback.preset_default, note
