"""The interpolation loop: RGB frames in, RGB frames out, at 2^exp times the rate or at given times.

Plain functions over numpy frames and a loaded FrameInterpolator (runtime.py); no files, no Prefect.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from rife_kernels import SCENE_CUT_SSIM, FrameInterpolator, at_timesteps, classify_pairs, inbetweens
from rife_kernels.schedule import repeats_first, thumbnail
from rifeflow.engine.runtime import to_arrays, to_tensor
from rifeflow.metrics.quality import same_frame


@dataclass
class PairStats:
    pairs: int = 0
    static: int = 0
    scene_cuts: int = 0
    cut_indices: list[int] = field(default_factory=list)
    frames_out: int = 0
    repeats: int = 0  # output frames identical to the one before

    @property
    def duplicate_ratio(self) -> float:
        return self.repeats / max(1, self.frames_out - 1)


def counting_repeats(frames: Iterable[np.ndarray], stats: PairStats) -> Iterator[np.ndarray]:
    """The frames unchanged, counting in `stats` those identical to their predecessor."""
    previous = None
    for frame in frames:
        if previous is not None and same_frame(frame, previous):
            stats.repeats += 1
        stats.frames_out += 1
        previous = frame
        yield frame


Observer = Callable[[np.ndarray, list, np.ndarray], None]


def output_frames(interp: FrameInterpolator, frames: Iterable[np.ndarray], exp: int, mode: str,
                  positions: Sequence[tuple[int, Fraction]] | None, tolerance: Callable[[int], Fraction] | None,
                  batch_size: int, stats: PairStats, *, scene_threshold: float, hold_last: bool = True,
                  first_index: int = 0, observe: Observer | None = None) -> Iterator[np.ndarray]:
    """The output frames, as the video step and the chunk step both make them: 2^exp steps between every
    pair when `positions` is None, else the frames at `positions` (an output rate, or a variable-rate source)."""
    if positions is None:
        return interpolate_stream(interp, frames, exp, mode, batch_size, stats, hold_last=hold_last,
                                  scene_threshold=scene_threshold, observe=observe)
    return interpolate_timeline(interp, frames, positions, tolerance, batch_size, stats, first_index=first_index,
                                scene_threshold=scene_threshold, observe=observe)


def interpolate_stream(interp: FrameInterpolator, frames: Iterable[np.ndarray], exp: int, mode: str = "chain",
                       batch_size: int = 4, stats: PairStats | None = None,
                       hold_last: bool = True, scene_threshold: float = SCENE_CUT_SSIM,
                       observe: Observer | None = None) -> Iterator[np.ndarray]:
    """Each input frame followed by its 2^exp - 1 in-betweens; the last frame is held 2^exp times.

    With hold_last False the last frame is not emitted at all: a chunk that ends on the
    next chunk's first frame leaves that frame to the next chunk. `observe(first, in_betweens, second)`
    sees every pair the model interpolated (not still pairs, not cuts).
    """
    stats = stats if stats is not None else PairStats()
    n = 2**exp
    pending: list[np.ndarray] = []
    # Each frame is made a tensor, and its scene-cut thumbnail, once, though it ends one batch and starts the next.
    tensors: list = []
    thumbs: list = []
    last = None
    for frame in frames:
        pending.append(frame)
        tensors.append(to_tensor([frame], interp.device))
        thumbs.append(thumbnail(tensors[-1]) if scene_threshold > 0 else None)
        if len(pending) == batch_size + 1:
            yield from _emit_batch(interp, pending, tensors, thumbs, exp, mode, batch_size, stats, scene_threshold,
                                   observe)
            pending, tensors, thumbs = pending[-1:], tensors[-1:], thumbs[-1:]
        last = frame
    if last is None:
        return
    if len(pending) > 1:
        yield from _emit_batch(interp, pending, tensors, thumbs, exp, mode, batch_size, stats, scene_threshold,
                               observe)
    for _ in range(n if hold_last else 0):
        yield last


def _emit_batch(interp, frames, tensors, thumbs, exp, mode, batch_size, stats, scene_threshold,
                observe: Observer | None = None) -> Iterator[np.ndarray]:
    """Frames[:-1], each followed by the in-betweens towards its successor."""
    pair_thumbs = (_stacked(thumbs[:-1]), _stacked(thumbs[1:])) if scene_threshold > 0 else None
    mids, static, cut = inbetweens(interp, _stacked(tensors[:-1]), _stacked(tensors[1:]), exp, mode,
                                   max_batch=batch_size, scene_threshold=scene_threshold, thumbs=pair_thumbs)
    mids = to_arrays(mids, frames[0].dtype)
    n = mids.shape[1] + 1
    for i, frame in enumerate(frames[:-1]):
        if bool(cut[i]):
            stats.cut_indices.append(stats.pairs + i)
        elif observe is not None and not bool(static[i]):
            observe(frame, list(mids[i]), frames[i + 1])
        yield frame
        if bool(static[i]) or bool(cut[i]):  # the nearer source frame itself (the same pixels as mids[i])
            yield from (frame if repeats_first(k, n) else frames[i + 1] for k in range(1, n))
        else:
            yield from mids[i]
    stats.pairs += len(frames) - 1
    stats.static += int(static.sum())
    stats.scene_cuts += int(cut.sum())


def _stacked(tensors: list[torch.Tensor]) -> torch.Tensor:
    """One batch of (1, ...) tensors; a single one as it is (a CPU's batch of one pair copies no frame)."""
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


def interpolate_timeline(interp: FrameInterpolator, frames: Iterable[np.ndarray],
                         positions: Sequence[tuple[int, Fraction]], tolerance: Callable[[int], Fraction],
                         batch_size: int = 4, stats: PairStats | None = None, first_index: int = 0,
                         scene_threshold: float = SCENE_CUT_SSIM, observe: Observer | None = None
                         ) -> Iterator[np.ndarray]:
    """The output frames at `positions` ((source index, timestep) each, in order), from the source frames.

    A frame at timestep 0 is the source frame itself, untouched; one after the last source frame
    holds it. Still pairs and scene cuts give the nearer frame. `tolerance(i)` is the bisection
    tolerance for the pair (i, i + 1) (midpoint-only models). `frames` start at source index
    `first_index` (a chunk's first frame).
    """
    stats = stats if stats is not None else PairStats()
    wanted = iter(positions)
    nxt = next(wanted, None)
    prev, prev_index = None, first_index - 1
    for index, frame in enumerate(frames, first_index):
        if prev is not None:
            steps = []
            while nxt is not None and nxt[0] == prev_index:
                steps.append(nxt[1])
                nxt = next(wanted, None)
            yield from _between(interp, prev, frame, prev_index, prev_index - first_index, steps, tolerance,
                                batch_size, stats, scene_threshold, observe)
        prev, prev_index = frame, index
    while nxt is not None and prev is not None:  # at or after the last frame given: it is held
        yield prev
        nxt = next(wanted, None)


def _between(interp, frame0, frame1, index, pair, steps, tolerance, batch_size, stats, scene_threshold, observe=None):
    """The frames at `steps` between source frames `index` and `index + 1`, the stream's pair number `pair`."""
    stats.pairs += 1
    moving = [s for s in steps if s > 0]
    made = {}
    if moving:
        tensors = to_tensor([frame0, frame1], interp.device)
        static, cut = classify_pairs(tensors[:1], tensors[1:], scene_threshold)
        if bool(static[0]) or bool(cut[0]):
            stats.static += int(static[0])
            if bool(cut[0]):
                stats.scene_cuts += 1
                stats.cut_indices.append(pair)  # counted from the stream's first frame, as interpolate_stream does
            made = {s: frame0 if s < Fraction(1, 2) else frame1 for s in moving}
        else:
            out = at_timesteps(interp, tensors[:1], tensors[1:], moving, tolerance(index), max_batch=batch_size)
            made = dict(zip(moving, to_arrays(out, frame0.dtype)))
            if observe is not None:
                observe(frame0, [made[s] for s in moving], frame1)
    for step in steps:
        yield frame0 if step == 0 else made[step]


def middle_frame(interp: FrameInterpolator, before: np.ndarray, after: np.ndarray, mode: str = "chain",
                 scene_threshold: float = SCENE_CUT_SSIM) -> np.ndarray:
    """The frame halfway between two frames, as the video's own in-betweens are made (still pairs and cuts
    repeat the nearer frame)."""
    mids, _, _ = inbetweens(interp, *to_tensor([before, after], interp.device).split(1), exp=1, mode=mode,
                            scene_threshold=scene_threshold)
    return to_arrays(mids[0, 0], before.dtype)
