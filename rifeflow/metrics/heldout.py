"""Held-out quality: the model's middle frame of real (before, truth, after) triplets against the
truth, beside averaging the neighbours. Scored where the model runs (a worker, or the API's process).
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

from rifeflow.manifests.records import HeldoutResult, InterpolationOptions, VideoProbe
from rifeflow.metrics.quality import heldout_indices, neighbour_average, psnr, ssim
from rifeflow.storage import store


def score_triplets(triplets: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], options: InterpolationOptions,
                   weights: str | None) -> dict:
    """The model's middle frame of each (before, truth, after) against the truth, beside averaging."""
    from rife_kernels import inbetweens
    from rifeflow.engine.runtime import load_interpolator, to_arrays, to_tensor

    o = options
    interp, _ = load_interpolator(o.model, weights, None, o.scale, o.fp16, o.tta)
    model, base = [], []
    for a, truth, b in triplets:
        if np.array_equal(a, b):
            continue  # a still triplet says nothing about interpolation
        mids, _, _ = inbetweens(interp, *to_tensor([a, b], interp.device).split(1), exp=1, mode=o.mode)
        guess = to_arrays(mids[0, 0], a.dtype)
        avg = neighbour_average(a, b)
        model.append((psnr(truth, guess), ssim(truth, guess)))
        base.append((psnr(truth, avg), ssim(truth, avg)))
    if not model:
        return {"heldout_n": 0}
    (m_psnr, m_ssim), (b_psnr, b_ssim) = np.mean(model, 0), np.mean(base, 0)
    return {"heldout_n": len(model), "heldout_psnr_db": float(m_psnr), "heldout_ssim": float(m_ssim),
            "baseline_psnr_db": float(b_psnr), "baseline_ssim": float(b_ssim),
            "heldout_gain_db": float(m_psnr - b_psnr)}


def _triplets(frames: dict[int, np.ndarray], middles: list[int]):
    for i in middles:
        yield frames[i - 1], frames[i], frames[i + 1]


def heldout_quality(probe: VideoProbe, options: InterpolationOptions, weights: str | None, count: int) -> dict:
    """Held-out quality of a local video file, decoding the frames it needs."""
    from rifeflow.video.read import decode_frames

    middles = heldout_indices(probe.frames, count, probe.slot_sources)
    if not middles:
        return {"heldout_n": 0}
    needed = {j for i in middles for j in (i - 1, i, i + 1)}
    frames = {i: f for i, f in enumerate(decode_frames(probe, probe.frame_bits, 0, max(needed) + 1)) if i in needed}
    return score_triplets(_triplets(frames, middles), options, weights)


def measure_heldout(heldout_uri: str, middles: list[int], options: InterpolationOptions,
                    weights: str | None) -> HeldoutResult:
    """Held-out quality from the triplet frames the split stored (frames in index order)."""
    from rifeflow.video.chunks import read_chunk

    started = time.perf_counter()
    needed = sorted({j for i in middles for j in (i - 1, i, i + 1)})
    with store.local_copy(heldout_uri) as path:
        frames = dict(zip(needed, read_chunk(path)))
    scores = score_triplets(_triplets(frames, middles), options, weights)
    return HeldoutResult(**scores, seconds=time.perf_counter() - started)
