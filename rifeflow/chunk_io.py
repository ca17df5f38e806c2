"""Lossless frame chunks: FFV1 in Matroska, RGB values kept exactly (8 or 16 bits per channel).

See bench/chunk_formats.py for the size and speed comparison behind this choice.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import av
import numpy as np

# Pixel formats FFV1 stores without any colour conversion: 8-bit RGB is reordered to BGR0.
STORED = {"rgb24": "bgr0", "rgb48le": "rgb48le"}


def write_chunk(path: str, frames: Iterable[np.ndarray]) -> int:
    """Write RGB frames (H, W, 3) uint8/uint16 to an FFV1 file; returns the frame count."""
    count = 0
    with av.open(path, "w", format="matroska") as out:
        stream = None
        for rgb in frames:
            fmt = "rgb48le" if rgb.dtype == np.uint16 else "rgb24"
            if stream is None:
                stream = out.add_stream("ffv1", rate=25)
                stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], STORED[fmt]
                stream.options = {"level": "3", "g": "1", "slices": "4"}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=fmt).reformat(format=STORED[fmt])
            frame.pts = count
            out.mux(stream.encode(frame))
            count += 1
        if stream is not None:
            out.mux(stream.encode(None))
    return count


def read_chunk(path: str) -> Iterator[np.ndarray]:
    """The frames of a chunk written by `write_chunk`, exactly as written."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            deep = max(c.bits for c in frame.format.components) > 8
            fmt = "rgb48le" if deep else "rgb24"
            yield frame.to_ndarray(format=fmt)
