"""The mouth on real footage (carphone's speaker, the tests' talking head): the box holds the lips on the
frames checked by eye, a mouth damaged in the model's frames drops the mouth's figures far more than the
whole frame's, a clip without a face gets no box and says why, and the lip-sync measure finds a shift."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from rifeflow.engine.stream import middle_frame
from rifeflow.metrics.heldout import score_triplet
from rifeflow.metrics.mouth import Box, InbetweenMeasures, find_faces, motion, stable_mouth
from rifeflow.metrics.sync import lip_sync, loudness_at
from rifeflow.steps.heldout import find_mouth
from rifeflow.video.read import decode_frames, index_frames
from rifeflow.video.sample import make_sample_clip

# The lips' centre on frames of talking_head.mp4 (176x144), read off a grid drawn over them by eye.
LIPS = {0: (85, 78), 30: (89, 80), 60: (78, 82), 99: (75, 80)}


@pytest.fixture(scope="module")
def talking(videos):
    path = str(videos / "talking_head.mp4")
    probe, times, index = index_frames(path)
    return path, list(decode_frames(probe)), find_mouth(path, index, probe.frame_bits)


def test_the_box_holds_the_lips_on_the_frames_checked(talking):
    _, frames, plan = talking
    assert plan.reason is None and (plan.checked, plan.found, plan.faces_max) == (3, 3, 1)
    box = Box(*plan.box)
    for index, (x, y) in LIPS.items():
        assert box.x <= x < box.x + box.w and box.y <= y < box.y + box.h, (index, box)
    assert box.w * box.h < 0.12 * frames[0].shape[0] * frames[0].shape[1]  # the mouth, not the face


def _overlap(a: Box, b: Box) -> float:
    w = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    h = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return w * h / (a.w * a.h + b.w * b.h - w * h)


def test_a_face_searched_around_the_first_one_found_is_the_face_a_whole_search_finds(talking):
    _, frames, _ = talking
    first = find_faces(frames[0])[0]
    found = {"whole": 0, "near": 0, "both": 0}
    for index in range(0, len(frames), 4):  # the cascade misses the face on some frames either way
        whole, near = find_faces(frames[index]), find_faces(frames[index], near=first)
        found["whole"], found["near"] = found["whole"] + bool(whole), found["near"] + bool(near)
        if whole and near:
            found["both"] += 1
            assert _overlap(whole[0], near[0]) > 0.7, (index, whole, near)
    assert found["both"] >= 10 and found["near"] >= found["whole"] - 2, found


@pytest.mark.parametrize("deep", [False, True])
def test_the_inbetween_measures_are_their_definitions(deep):
    """Computed with OpenCV and integers, they equal the plain float definitions (8- and 16-bit frames)."""
    rng = np.random.default_rng(3)
    dtype, peak = (np.uint16, 65535) if deep else (np.uint8, 255)
    first, guess, second = (rng.integers(0, peak + 1, (40, 56, 3)).astype(dtype) for _ in range(3))
    box, level = Box(5, 7, 30, 20), 255.0 / peak
    weights = np.array([0.2126, 0.7152, 0.0722])
    luma = lambda f: float((f.astype(np.float64) @ weights).mean()) * level  # noqa: E731
    crop = lambda f: box.crop(f).astype(np.float64)  # noqa: E731
    measures = InbetweenMeasures(box)
    measures.pair(first, [guess], second)
    assert measures.luma_shift_sum == pytest.approx(abs(luma(guess) - (luma(first) + luma(second)) / 2), abs=1e-5)
    assert measures.mouth_mad_sum == pytest.approx(np.abs(crop(guess) - (crop(first) + crop(second)) / 2).mean()
                                                   * level, rel=1e-12)
    assert motion(first, guess, box) == pytest.approx(np.abs(crop(guess) - crop(first)).mean() * level, rel=1e-12)


def _damaged(guess: np.ndarray, box: Box, how: str, previous: np.ndarray) -> np.ndarray:
    out = guess.copy()
    region = out[box.y:box.y + box.h, box.x:box.x + box.w]
    region[:] = cv2.GaussianBlur(region, (15, 15), 6) if how == "blur" else \
        previous[box.y:box.y + box.h, box.x:box.x + box.w]
    return out


@pytest.fixture(scope="module")
def render(talking, videos):
    """A render's proportions: the speaker in one corner of a frame four times its size, the rest moving real
    footage (bikes), so the mouth box is 1.6 % of the frame, as a face's mouth is in a 720p render."""
    from rifeflow.video.read import probe_video

    _, face, _ = talking
    bikes = [cv2.resize(f, (176, 144), interpolation=cv2.INTER_AREA)
             for f in decode_frames(probe_video(str(videos / "bikes.mp4")), 8, 0, 250)]
    return [np.ascontiguousarray(np.concatenate([np.concatenate([face[i], bikes[i + 20]], 1),
                                                 np.concatenate([bikes[i + 90], bikes[i + 160]], 1)], 0))
            for i in range(min(len(face), len(bikes) - 160))]


@pytest.mark.parametrize("how", ["blur", "previous frame"])
def test_a_damaged_mouth_drops_the_mouth_figures_not_the_frames(talking, render, hdv3, how):
    _, _, plan = talking
    box = Box(*plan.box)
    assert box.w * box.h / (render[0].shape[0] * render[0].shape[1]) < 0.02
    drops = []
    for middle in (30, 60, 75):
        before, truth, after = render[middle - 1], render[middle], render[middle + 1]
        guess = middle_frame(hdv3, before, after)
        good = score_triplet(middle, before, truth, after, guess, box)
        bad = score_triplet(middle, before, truth, after, _damaged(guess, box, how, render[middle - 2]), box)
        drops.append((good.mouth_psnr_db - bad.mouth_psnr_db, good.psnr_db - bad.psnr_db))
    print(f"\n{how}: mouth PSNR drop / whole-frame drop per triplet: {[(round(m, 2), round(f, 2)) for m, f in drops]}")
    assert all(mouth >= 5.0 and mouth >= 5 * frame for mouth, frame in drops)


def test_new_frames_that_freeze_the_mouth_depart_from_their_neighbours(talking, hdv3):
    _, frames, plan = talking
    box = Box(*plan.box)
    good, frozen = InbetweenMeasures(box), InbetweenMeasures(box)
    for i in range(40, 70):
        guess = middle_frame(hdv3, frames[i], frames[i + 1])
        good.pair(frames[i], [guess], frames[i + 1])
        frozen.pair(frames[i], [_damaged(guess, box, "previous frame", frames[i - 3])], frames[i + 1])
    assert frozen.mouth_mad_sum > 2 * good.mouth_mad_sum
    assert good.luma_shift_sum / good.frames < 1.0  # the model keeps the brightness of its neighbours


def test_a_clip_without_a_face_has_no_box_and_says_why(tmp_path):
    clip = make_sample_clip(str(tmp_path / "shapes.mp4"), seconds=1.0, size=128)
    probe, _, index = index_frames(clip)
    plan = find_mouth(clip, index, probe.frame_bits)
    assert plan.box is None and plan.found == 0
    assert plan.reason == "no face found in the 3 frames checked of its first second"
    frames = list(decode_frames(probe, 8, 0, 3))
    assert stable_mouth(frames).box is None


def test_the_sync_measure_finds_the_picture_moved_against_the_sound():
    rate, sample_rate = 25.0, 16000
    rng = np.random.default_rng(7)
    syllables = np.repeat(rng.random(60) > 0.5, 6).astype(float)  # 14 s of speech-like bursts
    samples = (np.repeat(syllables, int(sample_rate / rate)) * rng.standard_normal(len(syllables) * 640)).astype(
        np.float32)
    loud = loudness_at(samples, sample_rate, 0.0, np.arange(len(syllables)) / rate, 1 / rate)
    lips = list(loud + rng.normal(0, 0.05, len(loud)))  # lips open as the sound comes, with some noise
    late = [None] * 3 + lips[:-3]  # an output whose picture runs 3 frames (120 ms) behind its sound
    figures = lip_sync(samples, sample_rate, 0.0, 0.0, lips, rate, late, rate)
    assert figures["sync_offset_in_ms"] == 0 and figures["sync_offset_change_ms"] == pytest.approx(120.0)
    assert figures["sync_corr_in"] > 0.9 and figures["sync_corr_out"] > 0.9
    unrelated = list(rng.random(len(lips)))
    weak = lip_sync(samples, sample_rate, 0.0, 0.0, unrelated, rate, unrelated, rate)
    assert "hardly agree" in weak["sync_reason"] and "sync_offset_change_ms" not in weak
    assert lip_sync(None, sample_rate, 0.0, 0.0, lips, rate, lips, rate) == {"sync_reason": "no audio"}
