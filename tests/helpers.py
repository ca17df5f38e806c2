"""Reading frames and images for tests (real files through PyAV and Pillow)."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.array(img.convert("RGB"))


def to_batch(*images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


def to_uint8(frame: torch.Tensor) -> np.ndarray:
    return (frame.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def decoded_frames(path: Path, fmt: str = "rgb24") -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format=fmt) for f in c.decode(c.streams.video[0])]


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 25, codec: str = "libx264", pix_fmt: str = "yuv420p",
               options: dict | None = None, tags: dict | None = None) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = pix_fmt
        stream.options = options or {}
        for key, value in (tags or {}).items():
            setattr(stream.codec_context, key, value)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if tags:
                frame = frame.reformat(format=pix_fmt, dst_colorspace="itu709" if tags.get("colorspace") == 1 else None,
                                       dst_color_range="JPEG" if tags.get("color_range") == 2 else "MPEG")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def make_vfr_clip(path: Path, ticks=(2, 3, 1, 2, 3, 2), frames: int = 40, size: int = 96) -> Path:
    """A phone-like variable-rate H.264 clip: nominal 30000/1001, frames 1-3 ticks apart, always moving."""
    from fractions import Fraction

    from rifeflow.video.sample import _frame

    tb = Fraction(1001, 30000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(30000, 1001))
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        t = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_frame(float(t * tb), size), format="rgb24")
            frame.pts, frame.time_base = t, tb
            for packet in stream.encode(frame):
                out.mux(packet)
            t += ticks[i % len(ticks)]
        for packet in stream.encode(None):
            out.mux(packet)
    return path
