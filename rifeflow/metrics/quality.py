"""Quality measures on real frames (numpy and scikit-image; no downloaded weights)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.metrics import structural_similarity


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR in dB, capped at 100 (identical frames give inf; Parquet should hold a number).

    Same value as skimage's peak_signal_noise_ratio, about eight times faster: differences of
    integer frames are exact in float32, and their squares are summed in float64.
    """
    if reference.shape != test.shape:
        raise ValueError(f"frames differ in shape: {reference.shape} and {test.shape}")
    peak = 65535.0 if reference.dtype == np.uint16 else 255.0
    diff = np.subtract(reference, test, dtype=np.float32)
    np.square(diff, out=diff)
    mse = float(diff.sum(dtype=np.float64)) / diff.size
    return 100.0 if mse == 0 else float(min(10.0 * np.log10(peak * peak / mse), 100.0))


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """SSIM as the RIFE paper computes it: Gaussian window, sigma 1.5, no sample covariance."""
    peak = 65535 if reference.dtype == np.uint16 else 255
    return float(structural_similarity(reference, test, data_range=peak, channel_axis=-1, gaussian_weights=True,
                                       sigma=1.5, use_sample_covariance=False))


def neighbour_average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a.astype(np.float64) + b) / 2).round().astype(a.dtype)


def heldout_indices(frames: int, count: int, slot_sources: list[int] | None = None) -> list[int]:
    """Middle frames of `count` triplets spread evenly over a timeline of `frames` frames.

    On a variable-rate source's timeline only triplets of three consecutive, distinct
    source frames qualify: a held (repeated) frame is no true middle.
    """
    candidates = list(range(1, frames - 1))
    if slot_sources is not None:
        candidates = [i for i in candidates
                      if slot_sources[i - 1] + 1 == slot_sources[i] == slot_sources[i + 1] - 1]
    if not candidates or count < 1:
        return []
    picks = np.linspace(0, len(candidates) - 1, min(count, len(candidates)))
    return sorted({candidates[int(round(x))] for x in picks})


LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.709 luma in 0..255 levels, float32."""
    y = rgb @ LUMA_WEIGHTS
    return y if rgb.dtype != np.uint16 else y * np.float32(255.0 / 65535.0)


@dataclass
class TemporalStats:
    """Running measures over consecutive output frames."""

    count: int = 0
    change_sum: float = 0.0
    flicker_sum: float = 0.0
    previous_luma: np.ndarray | None = None
    previous_change: float | None = None
    previous_frame: np.ndarray | None = None
    seam_psnrs: list | None = None
    consecutive_psnr_sum: float = 0.0
    repeats: int = 0

    def add(self, frame: np.ndarray, at_seam: bool = False) -> None:
        y = luma(frame)
        if self.previous_frame is not None and np.array_equal(frame, self.previous_frame):
            self.repeats += 1
        if self.previous_luma is not None:
            change = float(np.abs(y - self.previous_luma).mean())
            self.change_sum += change
            pair_psnr = psnr(self.previous_frame, frame)
            self.consecutive_psnr_sum += pair_psnr
            if at_seam:
                self.seam_psnrs = (self.seam_psnrs or []) + [pair_psnr]
            if self.previous_change is not None:
                self.flicker_sum += abs(change - self.previous_change)
            self.previous_change = change
        self.previous_luma, self.previous_frame = y, frame
        self.count += 1

    def summary(self) -> dict:
        pairs = max(self.count - 1, 1)
        return {
            "luma_change_mean": self.change_sum / pairs,
            "luma_flicker_mean": self.flicker_sum / max(self.count - 2, 1),
            "consecutive_psnr_db": self.consecutive_psnr_sum / pairs,
            "seam_psnr_db": float(np.mean(self.seam_psnrs)) if self.seam_psnrs else None,
            "seams": len(self.seam_psnrs or []),
            "duplicate_frame_ratio": self.repeats / pairs,
        }
