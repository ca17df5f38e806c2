"""A lip-sync check that needs no model weights: the lips' motion (inside the mouth box, frame to frame)
against the audio's loudness, cross-correlated. The lag where they agree best is the offset between picture
and sound; measured on the source and on the output, it shows whether interpolation kept the sync the
render had (an output shifted against its audio, by a frame or more, moves the best lag by as much).

What it cannot see: whether the lips make the right shapes for the sounds (that needs a model such as
SyncNet), or anything when the audio is not mostly speech (music, noise: the correlation stays low, and is
reported so that such rows can be set aside). Pure: numbers in, numbers out.
"""
from __future__ import annotations

import numpy as np

MAX_LAG_S = 0.5
MIN_CORRELATION = 0.2  # below it lips and sound hardly agree: the best lag is noise


def loudness_at(samples: np.ndarray, sample_rate: int, audio_start_s: float, times: np.ndarray,
                step_s: float) -> np.ndarray:
    """RMS of the (mono) samples over [t, t + step_s) for each time t in `times` (NaN where there is no audio)."""
    out = np.full(len(times), np.nan)
    starts = np.round((times - audio_start_s) * sample_rate).astype(int)
    width = max(1, int(round(step_s * sample_rate)))
    for i, first in enumerate(starts):
        if 0 <= first and first + width <= len(samples):
            window = samples[first:first + width]
            out[i] = float(np.sqrt(np.mean(window * window)))
    return out


def best_lag(motion: np.ndarray, loudness: np.ndarray, rate: float, max_lag_s: float = MAX_LAG_S) -> tuple[float, float]:
    """(offset in ms, correlation): the shift of the picture against the sound at which lip motion and loudness
    agree best (positive: the picture comes late). NaNs are left out."""
    lags = int(round(max_lag_s * rate))
    best = (0.0, float("-inf"))
    for lag in range(-lags, lags + 1):
        a = motion[max(0, lag):len(motion) + min(0, lag)]
        b = loudness[max(0, -lag):len(loudness) + min(0, -lag)]
        n = min(len(a), len(b))
        a, b = a[:n], b[:n]
        keep = ~(np.isnan(a) | np.isnan(b))
        if keep.sum() < max(8, rate):  # under a second of frames to compare
            continue
        x, y = a[keep] - a[keep].mean(), b[keep] - b[keep].mean()
        scale = float(np.sqrt((x * x).sum() * (y * y).sum()))
        corr = float((x * y).sum() / scale) if scale > 0 else 0.0
        if corr > best[1]:
            best = (1000.0 * lag / rate, corr)
    return best if best[1] > float("-inf") else (float("nan"), float("nan"))


def lip_sync(samples: np.ndarray | None, sample_rate: int, audio_start_s: float, video_start_s: float,
             motion_in: list, rate_in: float, motion_out: list, rate_out: float) -> dict:
    """The best offset and its correlation before (source frames) and after (output frames) interpolation."""
    if samples is None or not len(samples):
        return {"sync_reason": "no audio"}
    figures = {}
    for name, motion, rate in (("in", motion_in, rate_in), ("out", motion_out, rate_out)):
        values = np.array([np.nan if m is None else m for m in motion], dtype=float)
        times = video_start_s + np.arange(len(values)) / rate
        offset, corr = best_lag(values, loudness_at(samples, sample_rate, audio_start_s, times, 1 / rate), rate)
        figures[f"sync_offset_{name}_ms"], figures[f"sync_corr_{name}"] = offset, corr
    if np.isnan(figures["sync_offset_in_ms"]) or np.isnan(figures["sync_offset_out_ms"]):
        return {"sync_reason": "under a second of lip motion and sound to compare"}
    weakest = min(figures["sync_corr_in"], figures["sync_corr_out"])
    if weakest < MIN_CORRELATION:
        return {"sync_corr_in": figures["sync_corr_in"], "sync_corr_out": figures["sync_corr_out"],
                "sync_reason": f"lip motion and sound hardly agree (correlation {weakest:.2f}, under "
                               f"{MIN_CORRELATION}): not speech, or not this face's voice; an offset would mean nothing"}
    figures["sync_offset_change_ms"] = figures["sync_offset_out_ms"] - figures["sync_offset_in_ms"]
    return figures
