"""A source's sound as numbers: its first audio stream decoded to mono floats (for the lip-sync check)."""
from __future__ import annotations

import av
import numpy as np

SYNC_RATE = 16000  # Hz: plenty for a loudness envelope


def mono_samples(path: str, rate: int = SYNC_RATE) -> tuple[np.ndarray | None, float]:
    """(mono float32 samples at `rate`, the stream's start time in seconds); (None, 0) without audio."""
    with av.open(path, metadata_errors="ignore") as container:
        if not container.streams.audio:
            return None, 0.0
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts, start = [], None
        try:
            for frame in container.decode(stream):
                if start is None and frame.pts is not None:
                    start = float(frame.pts * frame.time_base)
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError:  # a damaged tail: what was decoded still tells the envelope
            pass
    return (np.concatenate(parts) if parts else None), start or 0.0
