"""Bench inputs made from the shared clips: trimmed, resized, concatenated (written under bench/out/)."""
from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from rifeflow.video.read import decode_frames, probe_video

SHARED = Path(os.environ.get("RIFEFLOW_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
OUT = Path(__file__).resolve().parent / "out"


def run_header(command: str) -> str:
    """The first line of every results table: when, where, and the command that made it."""
    import platform
    from datetime import datetime, timezone

    return f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, `{command}`"


def write_h264(path: Path, frames, fps, size=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "fast"}
        count = 0
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if size:
                frame = frame.reformat(width=size[0], height=size[1])
            if count == 0:
                stream.width, stream.height = frame.width, frame.height
            frame.pts = count
            out.mux(stream.encode(frame))
            count += 1
        out.mux(stream.encode(None))
    return path


def shared_clip(name: str) -> Path:
    """A shared clip as it is, audio included."""
    path = SHARED / "videos" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the bench needs the shared clips (set RIFEFLOW_SHARED_DATA to their folder)")
    return path


def trimmed(name: str, frames: int, size=None, label=None) -> Path:
    """The first `frames` frames of a shared clip (optionally resized), as H.264."""
    target = OUT / f"{label or Path(name).stem}_{frames}.mp4"
    if not target.exists():
        probe = probe_video(str(shared_clip(name)))
        write_h264(target, decode_frames(probe, 8, 0, frames), probe.rate, size)
    return target


def repeated(path: Path, times: int) -> Path:
    """`path` concatenated `times` times (alternately forward and backward, so no cut at the joins)."""
    target = path.with_name(f"{path.stem}_x{times}.mp4")
    if not target.exists():
        probe = probe_video(str(path))
        frames = list(decode_frames(probe))

        def loop():
            for i in range(times):
                yield from (frames if i % 2 == 0 else frames[::-1])

        write_h264(target, loop(), probe.rate)
    return target


def load_frames(path: Path, count: int) -> list[np.ndarray]:
    return list(decode_frames(probe_video(str(path)), 8, 0, count))
