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


def output_frame_count(input_frames: int, exp: int) -> int:
    """Each input frame opens an interval of 2^exp output frames; the last one is held."""
    return input_frames * 2**exp
