"""Where the mouth is, and how interpolation treats it: faces found with OpenCV's bundled Haar cascades (the
model files ship inside the opencv-python-headless wheel; nothing is fetched), the mouth placed in the
lower middle of the face, and the measures taken inside that box. Pure: frames (H, W, 3) in, numbers out.

One box serves a whole video (a talking-head render is one shot of one face that barely moves): the
largest face found on a few frames, its box the median over them, grown by a margin for the head's sway.
A frame set with no face gives no box, and the video's mouth figures stay empty with the reason.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from rifeflow.metrics.quality import psnr, ssims

DETECT_AT = 480  # longest side, in pixels, frames are scaled to for detection
# Faces narrower than this share of the frame's short side are not searched for: a talking-head render's
# face spans a quarter of it or more, and the small scales are most of the cascade's cost (0.08 cost 2-3x).
SMALLEST_FACE = 0.15
# The mouth inside a frontal face box of the Haar cascades (which run from the brows to the chin), as
# fractions of the face box, and the margin added around it for a head that moves a little.
MOUTH_X, MOUTH_W, MOUTH_Y, MOUTH_H = 0.22, 0.56, 0.64, 0.30
MARGIN = 0.12


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def crop(self, frame: np.ndarray) -> np.ndarray:
        return frame[self.y:self.y + self.h, self.x:self.x + self.w]

    def text(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


@functools.cache
def _cascade(name: str):
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's {name} did not load from {cv2.data.haarcascades}")
    return cascade


def find_faces(rgb: np.ndarray, near: Box | None = None) -> list[Box]:
    """Faces in a frame, largest first: frontal ones, or turned ones (profile, either way) when none is frontal.

    With `near` (a face found in another frame of the shot), only faces of about its size, within a face's width
    of it, are looked for, which costs a part of searching the whole frame.
    """
    import cv2

    grey = cv2.cvtColor(rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    scale = min(1.0, DETECT_AT / max(grey.shape))
    if scale < 1.0:
        grey = cv2.resize(grey, (round(grey.shape[1] * scale), round(grey.shape[0] * scale)),
                          interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(grey)
    x0 = y0 = 0
    smallest = max(20, int(min(grey.shape) * SMALLEST_FACE))
    largest = (0, 0)  # no limit
    if near is not None:
        # A face's width around it each way: with half of one, a face that had moved a quarter of its width was
        # missed, the window's edge cutting into the context the cascade's neighbouring detections need.
        side = max(near.w, near.h) * scale
        x0, y0 = max(0, int(near.x * scale - side)), max(0, int(near.y * scale - side))
        grey = grey[y0:int(near.y * scale + near.h * scale + side), x0:int(near.x * scale + near.w * scale + side)]
        smallest, largest = max(20, int(side * 0.75)), (int(side * 1.35),) * 2
    found = list(_cascade("haarcascade_frontalface_alt2.xml").detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest), maxSize=largest))
    if not found:
        profile = _cascade("haarcascade_profileface.xml")
        found = list(profile.detectMultiScale(grey, 1.1, 5, minSize=(smallest, smallest), maxSize=largest))
        width = grey.shape[1]
        found += [(width - x - w, y, w, h) for x, y, w, h in
                  profile.detectMultiScale(cv2.flip(grey, 1), 1.1, 5, minSize=(smallest, smallest), maxSize=largest)]
    boxes = [Box(*(round(v / scale) for v in (x + x0, y + y0, w, h))) for x, y, w, h in found]
    return sorted(boxes, key=lambda b: b.w * b.h, reverse=True)


def mouth_of(face: Box, width: int, height: int, margin: float = MARGIN) -> Box:
    """The mouth's box in a face box, with a margin, kept inside the frame."""
    w, h = face.w * (MOUTH_W + 2 * margin), face.h * (MOUTH_H + 2 * margin)
    x, y = face.x + face.w * (MOUTH_X - margin), face.y + face.h * (MOUTH_Y - margin)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


@dataclass(frozen=True)
class MouthFound:
    box: Box | None
    checked: int
    found: int
    faces_max: int
    reason: str | None  # why there is no box


def stable_mouth(frames: list[np.ndarray], where: str = "") -> MouthFound:
    """One mouth box for these frames: the median of the largest face's mouth over the frames that show one
    (after the first face found, each frame is searched around it: faces elsewhere are not counted)."""
    faces: list[list[Box]] = []
    for frame in frames:  # once a face is found, the later frames are searched around it
        faces.append(find_faces(frame, next((f[0] for f in faces if f), None)))
    seen = [f[0] for f in faces if f]
    if not seen:
        return MouthFound(None, len(frames), 0, 0, f"no face found in the {len(frames)} frames checked{where}")
    height, width = frames[0].shape[:2]
    mouths = [mouth_of(face, width, height) for face in seen]
    median = Box(*(int(np.median([getattr(m, k) for m in mouths])) for k in ("x", "y", "w", "h")))
    if median.w < 8 or median.h < 8:
        return MouthFound(None, len(frames), len(seen), max(map(len, faces)), "the face found is too small to measure")
    return MouthFound(median, len(frames), len(seen), max(map(len, faces)), None)


def mouth_scores(box: Box, truth: np.ndarray, guess: np.ndarray, average: np.ndarray) -> tuple[float, ...]:
    """(PSNR, SSIM) of the guess and of the neighbours' average against the truth, inside the mouth box."""
    t, g, a = box.crop(truth), box.crop(guess), box.crop(average)
    guess_ssim, average_ssim = ssims(t, [g, a])
    return psnr(t, g), guess_ssim, psnr(t, a), average_ssim


def mean_luma(frame: np.ndarray) -> float:
    """The frame's mean BT.709 luma in 8-bit levels (the luma of the mean colour: luma is linear)."""
    import cv2

    from rifeflow.metrics.quality import LUMA_WEIGHTS

    level = 255.0 / 65535.0 if frame.dtype == np.uint16 else 1.0
    return float(np.asarray(cv2.mean(frame)[:3]) @ LUMA_WEIGHTS) * level


def motion(previous: np.ndarray, frame: np.ndarray, box: Box) -> float:
    """Mean absolute change inside the mouth box between two frames (8-bit levels): the lips moving."""
    import cv2

    level = 255.0 / 65535.0 if frame.dtype == np.uint16 else 1.0
    region = box.crop(frame)
    return float(cv2.norm(region, box.crop(previous), cv2.NORM_L1)) / region.size * level


def _mad_from_average(frame: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """Mean |frame - (first + second) / 2| in the frames' own levels, in integers: |2 frame - first - second| / 2."""
    wide = np.int32 if frame.dtype == np.uint16 else np.int16
    doubled = np.abs(2 * frame.astype(wide) - first.astype(wide) - second.astype(wide))
    return float(doubled.sum(dtype=np.int64)) / (2 * doubled.size)


@dataclass
class InbetweenMeasures:
    """Fed each interpolated pair (first frame, its in-betweens, second frame); keeps sums that add up across
    chunks: the in-betweens' mean luma against their neighbours' (brightness flicker between source and new
    frames, whole frame) and, inside the mouth box, their mean absolute difference from the neighbours'
    average (a mouth that smears, doubles or freezes departs from it)."""

    box: Box | None = None
    frames: int = 0
    luma_shift_sum: float = 0.0
    mouth_mad_sum: float = 0.0

    # The last pair's second frame and its mean luma: it is the next pair's first.
    _last: tuple[np.ndarray, float] | None = field(default=None, repr=False, compare=False)

    def pair(self, first: np.ndarray, between: list[np.ndarray], second: np.ndarray) -> None:
        if not between:
            return
        first_luma = self._last[1] if self._last is not None and self._last[0] is first else mean_luma(first)
        second_luma = mean_luma(second)
        self._last = (second, second_luma)
        expected = (first_luma + second_luma) / 2
        level = 255.0 / 65535.0 if first.dtype == np.uint16 else 1.0
        for frame in between:
            self.frames += 1
            self.luma_shift_sum += abs(mean_luma(frame) - expected)
            if self.box is not None:
                crop = self.box.crop
                self.mouth_mad_sum += _mad_from_average(crop(frame), crop(first), crop(second)) * level
