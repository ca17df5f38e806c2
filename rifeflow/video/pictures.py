"""Decoded frames that keep the decoder's own picture, for an encoder in the source's pixel format."""
from __future__ import annotations

import av
import numpy as np


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
    `keep_as` (the encoder's), a DecodedFrame with a copy of its picture."""
    rgb = frame.to_ndarray(format=fmt)
    if keep_as is None or frame.format.name != keep_as:
        return rgb
    try:
        planes = frame.to_ndarray()
    except (ValueError, TypeError, AssertionError):  # a layout PyAV cannot copy (odd 4:2:0 sizes, ...): via RGB
        return rgb
    kept = rgb.view(DecodedFrame)
    kept.planes, kept.pix_fmt = planes, keep_as
    return kept
