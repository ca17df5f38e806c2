"""Lossless chunk formats on real frames: size and write/read speed. Prints a table.

    .venv/bin/python bench/chunk_formats.py [VIDEO] [FRAMES]
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import zipfile

import numpy as np
from PIL import Image

from rifeflow.video.chunks import read_chunk, write_chunk
from rifeflow.video.read import decode_frames, probe_video

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "videos", "WDA_KatieHill_000.mp4")


def npy_write(path, frames):
    np.save(path, np.stack(frames))


def npy_read(path):
    return list(np.load(path))


def npz_write(path, frames):
    np.savez_compressed(path, frames=np.stack(frames))


def npz_read(path):
    return list(np.load(path)["frames"])


def png_write(path, frames):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i, f in enumerate(frames):
            buf = io.BytesIO()
            Image.fromarray(f).save(buf, format="PNG", compress_level=1)
            zf.writestr(f"{i:05d}.png", buf.getvalue())


def png_read(path):
    with zipfile.ZipFile(path) as zf:
        return [np.asarray(Image.open(io.BytesIO(zf.read(n)))) for n in sorted(zf.namelist())]


FORMATS = {
    "raw .npy": (npy_write, npy_read, ".npy"),
    "npz (zlib)": (npz_write, npz_read, ".npz"),
    "PNG frames in zip": (png_write, png_read, ".zip"),
    "FFV1 in MKV (chosen)": (write_chunk, lambda p: list(read_chunk(p)), ".mkv"),
}


def main() -> None:
    video = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 33
    probe = probe_video(video)
    frames = list(decode_frames(probe, 8, 0, count))
    raw = sum(f.nbytes for f in frames)
    print(f"{os.path.basename(video)}: {len(frames)} frames {probe.width}x{probe.height}, raw {raw / 1e6:.1f} MB")
    print("| format | size MB | size / raw | write ms/frame | read ms/frame | lossless |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (write, read, ext) in FORMATS.items():
            path = os.path.join(tmp, "chunk" + ext)
            t0 = time.perf_counter()
            write(path, frames)
            t1 = time.perf_counter()
            back = read(path)
            t2 = time.perf_counter()
            exact = len(back) == len(frames) and all(np.array_equal(a, b) for a, b in zip(frames, back))
            size = os.path.getsize(path)
            print(f"| {name} | {size / 1e6:.2f} | {size / raw:.2f} | {1e3 * (t1 - t0) / count:.1f} | "
                  f"{1e3 * (t2 - t1) / count:.1f} | {'yes' if exact else 'NO'} |")


if __name__ == "__main__":
    main()
