"""Quality measures on real frames (numpy and OpenCV's filters; no downloaded weights)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rifeflow.manifests.records import TemporalSummary


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


SSIM_RADIUS = 5  # scikit-image's Gaussian window for sigma 1.5: int(3.5 * 1.5 + 0.5) pixels each side


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """SSIM as the RIFE paper computes it: Gaussian window, sigma 1.5, no sample covariance, channels averaged.

    scikit-image's structural_similarity with those settings, to about 1e-6, four to ten times faster:
    the same 11-tap Gaussian in float32 (OpenCV), and the same border left out.
    """
    return ssims(reference, [test])[0]


def ssims(reference: np.ndarray, tests: list[np.ndarray]) -> list[float]:
    """`ssim(reference, test)` for each test, the reference's local statistics computed once for all of them.

    The formula's terms in their usual order (the values ssim gave before it shared them), done in place: no
    full-frame temporaries.
    """
    import cv2

    for test in tests:
        if reference.shape != test.shape:
            raise ValueError(f"frames differ in shape: {reference.shape} and {test.shape}")
    deep = reference.dtype == np.uint16  # scaled to 8-bit levels: the squares stay well inside float32's precision

    def as_float(frame: np.ndarray) -> np.ndarray:
        image = frame.astype(np.float32)
        return np.divide(image, 257.0, out=image) if deep else image

    size = 2 * SSIM_RADIUS + 1

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (size, size), 1.5, borderType=cv2.BORDER_REFLECT)

    c1, c2 = (0.01 * 255.0) ** 2, (0.03 * 255.0) ** 2  # 8-bit levels, deep frames included
    x = as_float(reference)
    mean_x = blur(x)
    square_x = mean_x * mean_x
    var_x = blur(x * x)
    var_x -= square_x
    r = SSIM_RADIUS
    scores = []
    for test in tests:
        y = as_float(test)
        mean_y = blur(y)
        var_y, cov = blur(y * y), blur(np.multiply(x, y, out=y))
        square_y = mean_y * mean_y
        var_y -= square_y
        mean_y *= mean_x  # the means' product from here on
        cov -= mean_y
        mean_y *= 2
        mean_y += c1
        cov *= 2
        cov += c2
        mean_y *= cov  # numerator
        square_y += square_x
        square_y += c1
        var_y += var_x
        var_y += c2
        square_y *= var_y  # denominator
        mean_y /= square_y
        scores.append(float(mean_y[r:-r, r:-r].mean(dtype=np.float64)))
    return scores


def neighbour_average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The mean of two frames rounded half to even (as numpy rounds), in integers: no float copies."""
    total = a.astype(np.uint16 if a.dtype == np.uint8 else np.uint32) + b  # wide enough for the sum
    half = total >> 1
    return (half + (total & half & 1)).astype(a.dtype)


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


def same_frame(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two frames are identical; most pairs differ in a sparse sample already, which costs far less."""
    if a is b:
        return True
    if a.shape != b.shape:
        return False
    return bool(np.array_equal(a[::7, ::7], b[::7, ::7])) and bool(np.array_equal(a, b))


LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.709 luma in 0..255 levels, float32 (H, W)."""
    import cv2

    scale = np.float32(255.0 / 65535.0) if rgb.dtype == np.uint16 else np.float32(1.0)
    return cv2.transform(rgb.astype(np.float32), (LUMA_WEIGHTS * scale).reshape(1, 3))


@dataclass
class TemporalStats:
    """Running measures over one segment's consecutive output frames (the frames handed to the encoder)."""

    frames: int = 0
    change_sum: float = 0.0
    flicker_sum: float = 0.0
    psnr_sum: float = 0.0
    repeats: int = 0
    first_change: float | None = None
    previous_change: float | None = None
    previous_frame: np.ndarray | None = field(default=None, repr=False)
    previous_luma: np.ndarray | None = field(default=None, repr=False)
    seam: tuple[float, float, bool] | None = None

    def _pair(self, frame: np.ndarray, frame_luma: np.ndarray) -> tuple[float, float, bool]:
        """(mean absolute luma change, PSNR, identical) from the previous frame to `frame`. Each frame's luma is
        made once, though it is in two pairs; the squared error is summed exactly, in integers (OpenCV)."""
        import cv2

        previous = self.previous_frame
        if same_frame(frame, previous):
            return 0.0, 100.0, True
        change = cv2.norm(frame_luma, self.previous_luma, cv2.NORM_L1) / frame_luma.size
        peak = 65535.0 if frame.dtype == np.uint16 else 255.0
        mse = cv2.norm(frame, previous, cv2.NORM_L2SQR) / frame.size
        return change, float(min(10.0 * np.log10(peak * peak / mse), 100.0)), False

    def add(self, frame: np.ndarray) -> None:
        frame_luma = luma(frame)
        if self.previous_frame is not None:
            change, pair_psnr, repeat = self._pair(frame, frame_luma)
            self.change_sum += change
            self.psnr_sum += pair_psnr
            self.repeats += repeat
            if self.previous_change is not None:
                self.flicker_sum += abs(change - self.previous_change)
            else:
                self.first_change = change
            self.previous_change = change
        self.previous_frame, self.previous_luma = frame, frame_luma
        self.frames += 1

    def add_seam(self, next_frame: np.ndarray) -> None:
        """Measure the pair (this segment's last frame, the first frame of the next segment)."""
        if self.previous_frame is not None:
            self.seam = self._pair(next_frame, luma(next_frame))

    def summary(self) -> TemporalSummary:
        change, pair_psnr, repeat = self.seam or (None, None, False)
        return TemporalSummary(frames=self.frames, change_sum=self.change_sum, flicker_sum=self.flicker_sum,
                               psnr_sum=self.psnr_sum, repeats=self.repeats, first_change=self.first_change,
                               last_change=self.previous_change, seam_change=change, seam_psnr=pair_psnr,
                               seam_repeat=repeat)


def combine_temporal(segments: list[TemporalSummary]) -> dict:
    """The whole output's temporal measures from its segments' summaries, in order: the same values as
    measuring every consecutive pair of the joined frames (each seam pair was measured by the segment before)."""
    frames = pairs = repeats = 0
    change = flicker = pair_psnr = 0.0
    last_change: float | None = None
    seam_psnrs: list[float] = []

    def link(value: float | None) -> None:
        nonlocal flicker
        if value is not None and last_change is not None:
            flicker += abs(value - last_change)

    for number, part in enumerate(segments):
        if number and segments[number - 1].seam_change is not None:
            seam = segments[number - 1]
            pairs += 1
            change += seam.seam_change
            pair_psnr += seam.seam_psnr
            repeats += seam.seam_repeat
            seam_psnrs.append(seam.seam_psnr)
            link(seam.seam_change)
            last_change = seam.seam_change
        frames += part.frames
        pairs += max(0, part.frames - 1)
        change += part.change_sum
        pair_psnr += part.psnr_sum
        repeats += part.repeats
        flicker += part.flicker_sum
        link(part.first_change)
        if part.last_change is not None:
            last_change = part.last_change
    return {
        "luma_change_mean": change / max(pairs, 1),
        "luma_flicker_mean": flicker / max(frames - 2, 1),
        "consecutive_psnr_db": pair_psnr / max(pairs, 1),
        "seam_psnr_db": float(np.mean(seam_psnrs)) if seam_psnrs else None,
        "seams": len(seam_psnrs),
        "duplicate_frame_ratio": repeats / max(pairs, 1),
    }
