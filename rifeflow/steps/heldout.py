"""The held-out check where the model runs: the middle frame of real triplets made from their outer frames
and scored against the true one. In a catalog run each chunk scores the triplets inside its own frames as
it decodes them (no second decode); `heldout_of_file` does the same for a local file (the web page).
"""
from __future__ import annotations

import time

import numpy as np

from rifeflow.engine.stream import middle_frame
from rifeflow.manifests.records import HeldoutResult, HeldoutScore, InterpolationOptions, MouthPlan
from rifeflow.metrics.heldout import is_still, score_triplet, summarise
from rifeflow.metrics.mouth import Box, stable_mouth
from rifeflow.metrics.quality import heldout_indices


class HeldoutScorer:
    """Fed every decoded frame in order; scores each wanted middle once the frame after it arrives."""

    def __init__(self, interp, middles: list[int], mode: str, scene_threshold: float, mouth: Box | None = None):
        self.interp, self.wanted, self.mode, self.threshold = interp, set(middles), mode, scene_threshold
        self.mouth = mouth
        self.recent: dict[int, np.ndarray] = {}
        self.scores: list[HeldoutScore] = []
        self.seconds = 0.0

    def add(self, index: int, frame: np.ndarray) -> None:
        if not self.wanted:
            return
        self.recent[index] = frame
        self.recent.pop(index - 3, None)
        middle = index - 1
        if middle in self.wanted and middle - 1 in self.recent:
            started = time.perf_counter()
            before, truth = self.recent[middle - 1], self.recent[middle]
            if not is_still(before, frame):
                guess = middle_frame(self.interp, before, frame, self.mode, self.threshold)
                self.scores.append(score_triplet(middle, before, truth, frame, guess, self.mouth))
            self.seconds += time.perf_counter() - started


def heldout_of_file(path: str, options: InterpolationOptions, weights: str | None,
                    count: int) -> tuple[HeldoutResult, MouthPlan]:
    """Held-out quality of a local video file (and the mouth box it was measured in), decoding once."""
    from rifeflow.engine.runtime import load_interpolator
    from rifeflow.video.read import decode_window, index_frames

    started = time.perf_counter()
    probe, times, index = index_frames(path)
    middles = heldout_indices(len(times), count)
    mouth = find_mouth(path, index, probe.frame_bits)
    if not middles:
        return HeldoutResult(heldout_n=0), mouth
    o = options
    interp, _ = load_interpolator(o.model, weights, None, o.scale, o.fp16, o.tta)
    scorer = HeldoutScorer(interp, middles, o.mode, o.scene_threshold, box_of(mouth))
    last = max(middles) + 2
    for number, frame in decode_window(path, index.pts[:last], None, probe.frame_bits, 0):
        scorer.add(number, frame)
    return summarise(scorer.scores, time.perf_counter() - started), mouth


MOUTH_FRAMES = (0, 12, 24)  # the frames of a video's first second the mouth is looked for in


def find_mouth(path: str, index, frame_bits: int) -> MouthPlan:
    """The video's mouth box, from a few frames of its first second (decoded here: a few more frames at most)."""
    from rifeflow.video.read import decode_window

    wanted = [i for i in MOUTH_FRAMES if i < len(index.pts)]
    if None in index.pts[:wanted[-1] + 1]:  # frames without timestamps are counted: all of them decoded
        frames = [frame for number, frame in decode_window(path, index.pts[:wanted[-1] + 1], None, frame_bits, 0)
                  if number in wanted]
    else:  # only the wanted ones converted to RGB
        frames = [frame for _, frame in decode_window(path, [index.pts[i] for i in wanted], None, frame_bits, 0)]
    found = stable_mouth(frames, " of its first second")
    box = None if found.box is None else (found.box.x, found.box.y, found.box.w, found.box.h)
    return MouthPlan(box=box, checked=found.checked, found=found.found, faces_max=found.faces_max,
                     reason=found.reason)


def box_of(plan: MouthPlan | None) -> Box | None:
    return None if plan is None or plan.box is None else Box(*plan.box)
