"""Held-out quality: the model's middle frame of real (before, truth, after) triplets against the truth,
beside averaging the neighbours. Pure: the caller makes the middle frames (where the model runs).
"""
from __future__ import annotations

import numpy as np

from rifeflow.manifests.records import HeldoutResult, HeldoutScore
from rifeflow.metrics.mouth import Box, mouth_scores
from rifeflow.metrics.quality import neighbour_average, psnr, ssims


def score_triplet(middle: int, before: np.ndarray, truth: np.ndarray, after: np.ndarray, guess: np.ndarray,
                  mouth: Box | None = None) -> HeldoutScore:
    """One triplet's scores: the guess and the neighbours' average, each against the true middle frame, over
    the whole frame and inside the mouth box when there is one."""
    average = neighbour_average(before, after)
    inside = dict(zip(("mouth_psnr_db", "mouth_ssim", "mouth_baseline_psnr_db", "mouth_baseline_ssim"),
                      mouth_scores(mouth, truth, guess, average))) if mouth is not None else {}
    model_ssim, baseline_ssim = ssims(truth, [guess, average])
    return HeldoutScore(middle=middle, psnr_db=psnr(truth, guess), ssim=model_ssim,
                        baseline_psnr_db=psnr(truth, average), baseline_ssim=baseline_ssim, **inside)


def is_still(before: np.ndarray, after: np.ndarray) -> bool:
    """A triplet whose outer frames are identical says nothing about interpolation: it is not scored."""
    return bool(np.array_equal(before, after))


def summarise(scores: list[HeldoutScore], seconds: float = 0.0) -> HeldoutResult:
    """The video's held-out figures: means over its scored triplets, and over those measured at the mouth."""
    if not scores:
        return HeldoutResult(heldout_n=0, seconds=seconds)
    model = np.mean([(s.psnr_db, s.ssim) for s in scores], 0)
    base = np.mean([(s.baseline_psnr_db, s.baseline_ssim) for s in scores], 0)
    mouth = {}
    at_mouth = [s for s in scores if s.mouth_psnr_db is not None]
    if at_mouth:
        m = np.mean([(s.mouth_psnr_db, s.mouth_ssim, s.mouth_baseline_psnr_db, s.mouth_baseline_ssim)
                     for s in at_mouth], 0)
        mouth = dict(mouth_heldout_n=len(at_mouth), mouth_heldout_psnr_db=float(m[0]), mouth_heldout_ssim=float(m[1]),
                     mouth_baseline_psnr_db=float(m[2]), mouth_baseline_ssim=float(m[3]),
                     mouth_heldout_gain_db=float(m[0] - m[2]))
    return HeldoutResult(heldout_n=len(scores), heldout_psnr_db=float(model[0]), heldout_ssim=float(model[1]),
                         baseline_psnr_db=float(base[0]), baseline_ssim=float(base[1]),
                         heldout_gain_db=float(model[0] - base[0]), seconds=seconds, **mouth)
