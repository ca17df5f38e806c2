"""Decoded frames that keep the decoder's own picture, for an encoder in the source's pixel format."""
from __future__ import annotations

import av
import numpy as np
from av.video.reformatter import Interpolation

# swscale's fast YUV -> 8-bit RGB path comes out about a luma level dark: an in-between made from such frames and
# converted back to YUV was a level darker than the source frames around it (a flicker at the output rate) and cost
# x264 about half as much again to code. The accurate path with full chroma interpolation converts back exactly
# (rgb48 is exact without it, and wrong with it). BITEXACT: no CPU-specific rounding.
YUV_TO_RGB24 = (Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
                | Interpolation.BITEXACT)
# FFmpeg's full-range ("JPEG") formats: the same planes as the plain format, whose stream is tagged full range.
FULL_RANGE_TWINS = {"yuvj420p": "yuv420p", "yuvj422p": "yuv422p", "yuvj444p": "yuv444p", "yuvj440p": "yuv440p",
                    "yuvj411p": "yuv411p"}


class DecodedFrame(np.ndarray):
    """An RGB frame (H, W, 3) with a copy of the decoder's picture (its planes as one array, and its pixel
    format): an encoder in that format takes the picture as it is, instead of the RGB frame converted back (a
    conversion that costs more than encoding does at small sizes, and moves pixels by about a level). A copy,
    not the decoded frame itself, which would keep the decoder and its threads alive. Views of it and results
    computed from it are plain frames: their `planes` is None."""

    planes: np.ndarray | None = None
    pix_fmt: str | None = None

    def __array_finalize__(self, obj) -> None:
        self.planes = self.pix_fmt = None


def decoded_rgb(frame: av.VideoFrame, fmt: str, keep_as: str | None = None) -> np.ndarray:
    """The decoded frame as RGB `fmt` (converted with its own matrix and range); when the frame is in pixel format
    `keep_as` (the encoder's, or its full-range twin), a DecodedFrame with a copy of its picture."""
    if fmt == "rgb24" and not frame.format.is_rgb:
        rgb = frame.to_ndarray(format=fmt, interpolation=YUV_TO_RGB24)
    else:
        rgb = frame.to_ndarray(format=fmt)
    name = frame.format.name
    if keep_as is None or FULL_RANGE_TWINS.get(name, name) != keep_as:
        return rgb
    try:
        planes = frame.to_ndarray()
    except (ValueError, TypeError, AssertionError):  # a layout PyAV cannot copy (odd 4:2:0 sizes, ...): via RGB
        return rgb
    kept = rgb.view(DecodedFrame)
    kept.planes, kept.pix_fmt = planes, keep_as
    return kept
