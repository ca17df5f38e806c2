"""Output frame rates and where each output frame sits between the source frames. Pure, exact arithmetic.

An output at rate R has frame k at t0 + k / R. It is made from the source frames i and i + 1 around
that time, at timestep (T - t_i) / (t_(i+1) - t_i); a frame at timestep 0 is source frame i itself.
"""
from __future__ import annotations

import bisect
import math
import re
from fractions import Fraction
from typing import Sequence

# Two times closer than this are the same instant (container timestamps are far coarser).
SAME_INSTANT_S = Fraction(1, 1_000_000)
MAX_RATE = Fraction(1000)


def parse_rate(text: str | float | int | Fraction) -> tuple[str, Fraction]:
    """("rate", R) for `60`, `59.94`, `60000/1001`; ("factor", F) for `2.5x`. ValueError otherwise."""
    raw = str(text).strip().lower()
    kind = "factor" if raw.endswith("x") else "rate"
    number = raw[:-1].strip() if kind == "factor" else raw
    try:
        if not re.fullmatch(r"\d+(\.\d+)?(/\d+)?", number):
            raise ValueError
        value = Fraction(number)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"not a frame rate: {text!r} (examples: 60, 60000/1001, 59.94, 2.5x)") from None
    if value <= 0 or (kind == "rate" and value > MAX_RATE) or (kind == "factor" and value > 16):
        raise ValueError(f"frame rate {text!r} is outside (0, {MAX_RATE}] fps, or a factor outside (0, 16]x")
    if kind == "rate" and "." in number:  # 59.94 means 60000/1001, as every video tool reads it
        ntsc = value * 1001 / 1000
        if ntsc.denominator == 1 or abs(ntsc - round(ntsc)) < Fraction(1, 200):
            value = Fraction(round(ntsc) * 1000, 1001)
    return kind, value


def output_rate(source_rate: Fraction, exp: int | None = None, fps: str | None = None) -> Fraction:
    """The output rate for `--exp N` (source x 2^N) or `--fps RATE` (a rate, or a factor such as 2.5x)."""
    if (exp is None) == (fps is None):
        raise ValueError("give exactly one of exp (factor 2^exp) and fps (an output frame rate)")
    if fps is None:
        return Fraction(source_rate) * 2**exp
    kind, value = parse_rate(fps)
    return Fraction(source_rate) * value if kind == "factor" else value


def output_frame_count(duration_s: Fraction, rate: Fraction) -> int:
    """Frames for `duration_s` at `rate`: duration x rate rounded to the nearest whole frame, halves up."""
    return max(1, math.floor(Fraction(duration_s) * Fraction(rate) + Fraction(1, 2)))


def constant_times(frames: int, rate: Fraction) -> list[Fraction]:
    """Times (from the first frame) of a constant-rate source: i / rate, exactly."""
    return [Fraction(i) / Fraction(rate) for i in range(frames)]


def measured_times(times: Sequence[float]) -> list[Fraction]:
    """Decoded frame times made relative to the first one, to the microsecond."""
    start = times[0]
    return [Fraction(t - start).limit_denominator(1_000_000) for t in times]


def output_positions(times: Sequence[Fraction], rate: Fraction, count: int) -> list[tuple[int, Fraction]]:
    """(i, timestep) for each of `count` output frames at k / rate: timestep in [0, 1) between times[i]
    and times[i + 1], 0 where the output frame is source frame i; after the last source frame, (last, 0)."""
    last = len(times) - 1
    positions = []
    for k in range(count):
        t = Fraction(k) / Fraction(rate)
        i = max(0, bisect.bisect_right(times, t + SAME_INSTANT_S) - 1)
        if i >= last:
            positions.append((last, Fraction(0)))
            continue
        step = (t - times[i]) / (times[i + 1] - times[i])
        if t - times[i] <= SAME_INSTANT_S:
            step = Fraction(0)
        positions.append((i, step))
    return positions


def bisection_tolerance(interval_s: Fraction, rate: Fraction, finest: Fraction = Fraction(1, 64)) -> Fraction:
    """How close (as a timestep) bisection must get for a frame to sit within 1/8 of an output
    frame interval of its exact time, never finer than `finest` (6 levels)."""
    return max(finest, Fraction(1) / (8 * Fraction(rate) * Fraction(interval_s)))
