"""A synthetic sample clip, so the main job runs on a machine with no footage of its own."""
from __future__ import annotations

import math
import os
from fractions import Fraction

import av
import numpy as np


def _frame(t: float, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    image = np.stack([0.35 + 0.3 * x, 0.3 + 0.3 * y, 0.55 - 0.2 * x], -1)
    cx, cy = 0.5 + 0.3 * math.cos(2 * math.pi * t / 2.0), 0.5 + 0.3 * math.sin(2 * math.pi * t / 2.0)
    disc = (x - cx) ** 2 + (y - cy) ** 2 < 0.012
    image[disc] = (0.95, 0.8, 0.1)
    bx = 0.1 + 0.7 * ((t / 2.0) % 1.0)
    box = (x > bx) & (x < bx + 0.15) & (y > 0.75) & (y < 0.88)
    image[box] = (0.1, 0.2, 0.9)
    return (image * 255).round().astype(np.uint8)


def make_sample_clip(path: str, seconds: float = 2.0, size: int = 256, fps: int = 25) -> str:
    """H.264 clip of a circling disc and a sliding box, with a 440 Hz AAC tone. Returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    rate, sample_rate = Fraction(fps), 48000
    with av.open(path, "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width = video.height = size
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "18"}
        audio = out.add_stream("aac", rate=sample_rate)
        audio.layout = "mono"
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(_frame(i / fps, size), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = np.sin(2 * np.pi * 440 * np.arange(int(seconds * sample_rate)) / sample_rate) * 0.2
        block = 1024
        for start in range(0, samples.size, block):
            chunk = samples[start:start + block].astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = start
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return path
