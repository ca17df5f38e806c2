"""Lossless frame chunks: FFV1 in Matroska, RGB values kept exactly (8 or 16 bits per channel).

See bench/chunk_formats.py for the size and speed comparison behind this choice.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import av
import numpy as np

# Pixel formats FFV1 stores without any colour conversion: 8-bit RGB is reordered to BGR0.
STORED = {"rgb24": "bgr0", "rgb48le": "rgb48le"}


class ChunkWriter:
    """Frames appended one at a time to an FFV1 file; `close()` returns the frame count."""

    def __init__(self, path: str):
        self.path = path
        self.output = av.open(path, "w", format="matroska")
        self.stream = None
        self.count = 0

    def write(self, rgb: np.ndarray) -> None:
        fmt = "rgb48le" if rgb.dtype == np.uint16 else "rgb24"
        if self.stream is None:
            self.stream = self.output.add_stream("ffv1", rate=25)
            self.stream.width, self.stream.height, self.stream.pix_fmt = rgb.shape[1], rgb.shape[0], STORED[fmt]
            self.stream.options = {"level": "3", "g": "1", "slices": "4"}
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=fmt).reformat(format=STORED[fmt])
        frame.pts = self.count
        self.output.mux(self.stream.encode(frame))
        self.count += 1

    def close(self) -> int:
        if self.stream is not None:
            self.output.mux(self.stream.encode(None))
        self.output.close()
        return self.count


def write_chunk(path: str, frames: Iterable[np.ndarray]) -> int:
    """Write RGB frames (H, W, 3) uint8/uint16 to an FFV1 file; returns the frame count."""
    writer = ChunkWriter(path)
    for rgb in frames:
        writer.write(rgb)
    return writer.close()


def read_chunk(path: str) -> Iterator[np.ndarray]:
    """The frames of a chunk written by `write_chunk`, exactly as written."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            deep = max(c.bits for c in frame.format.components) > 8
            fmt = "rgb48le" if deep else "rgb24"
            yield frame.to_ndarray(format=fmt)
