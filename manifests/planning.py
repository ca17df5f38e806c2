"""Pure planning: constant-rate timelines and frame counts. No I/O."""
from __future__ import annotations

import bisect
from fractions import Fraction
from typing import Optional, Sequence


def constant_rate_slots(times: Sequence[float], rate: Fraction) -> Optional[list[int]]:
    """Map a variable-rate frame timeline onto slots at `rate`; None when it is already constant.

    A timeline counts as variable when any frame interval differs from 1/rate by
    more than half of it (container timestamp rounding stays far below that).
    Slot j, at times[0] + j/rate, shows the latest frame due by the middle of the slot.
    """
    nominal = 1.0 / float(rate)
    gaps = [b - a for a, b in zip(times, times[1:])]
    if all(abs(g - nominal) <= 0.5 * nominal for g in gaps):
        return None
    start = times[0]
    count = max(1, round((times[-1] - start + nominal) * float(rate)))
    slots = []
    for j in range(count):
        due = start + (j + 0.5) * nominal
        slots.append(max(0, bisect.bisect_right(times, due) - 1))
    return slots


def plan_chunk_ranges(frames: int, chunk_frames: int) -> list[tuple[int, int, bool]]:
    """(start, stop, final) per chunk: `chunk_frames` frames each plus the next chunk's first frame.

    Every timeline frame but the last starts exactly one interpolated interval, in exactly
    one chunk; the final chunk also holds the last frame.
    """
    if frames < 1 or chunk_frames < 1:
        raise ValueError(f"need at least one frame and one frame per chunk, got {frames}, {chunk_frames}")
    ranges = []
    start = 0
    while True:
        stop = min(start + chunk_frames, frames - 1) + 1
        final = stop == frames
        ranges.append((start, stop, final))
        if final:
            return ranges
        start = stop - 1


def content_key(*parts) -> str:
    """A stable key for content derived from `parts` (checksums, ranges, options)."""
    import hashlib
    import json

    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def video_key(source_uri: str, options: dict, chunk_frames: int, encoding: dict | None = None) -> str:
    """The key of a video's manifest: same source, options, encoder and chunking, same manifest.

    The default encoder leaves the key as it was before encoders could be chosen.
    """
    from rifeflow.manifests.codecs import DEFAULT_CODEC, check_quality

    chosen = {k: (encoding or {}).get(k) for k in ("codec", "crf", "preset")} if encoding else None
    default = dict(zip(("crf", "preset"), check_quality(DEFAULT_CODEC, None, None)), codec=DEFAULT_CODEC)
    if chosen is None or chosen == default:
        return content_key("video", source_uri, options, chunk_frames)
    return content_key("video", source_uri, options, chunk_frames, chosen)


MAX_NAME_BYTES = 255  # a file name on every common filesystem


def bounded_name(name: str, tail: str) -> str:
    """`.{name}{tail}` (a hidden working name), or `.{a hash of name}{tail}` where that would be too long."""
    full = f".{name}{tail}"
    if len(full.encode()) <= MAX_NAME_BYTES:
        return full
    import hashlib

    return f".{hashlib.sha256(name.encode()).hexdigest()[:16]}{tail}"
