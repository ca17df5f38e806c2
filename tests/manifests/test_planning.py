"""Pure planning: constant-rate slots, chunk ranges and content keys."""
from __future__ import annotations

from fractions import Fraction

import pytest

from rifeflow.manifests.planning import constant_rate_slots, content_key, plan_chunk_ranges, video_key
from rifeflow.manifests.records import InterpolationOptions


def test_a_constant_timeline_needs_no_slots_even_with_rounded_timestamps():
    assert constant_rate_slots([i / 25 for i in range(50)], Fraction(25)) is None
    jitter = [i / 25 + (0.004 if i % 3 == 0 else -0.003) for i in range(50)]  # MP4 timestamp rounding
    assert constant_rate_slots(jitter, Fraction(25)) is None


def test_a_held_frame_fills_the_slots_it_is_shown_for():
    # 25 fps with frame 2 shown for 0.12 s (three slots): each slot shows the latest frame due by its middle.
    assert constant_rate_slots([0.0, 0.04, 0.08, 0.20, 0.24], Fraction(25)) == [0, 1, 2, 2, 2, 3, 4]


def test_a_dropped_burst_repeats_the_frame_before_it_and_keeps_the_duration():
    times = [i / 30 for i in range(10)] + [(10 + 5 + i) / 30 for i in range(10)]  # five frames missing
    slots = constant_rate_slots(times, Fraction(30))
    assert len(slots) == 25 and slots[:10] == list(range(10)) and slots[10:15] == [9] * 5
    assert slots[15:] == list(range(10, 20))


@pytest.mark.parametrize("frames, chunk_frames", [(1, 4), (2, 1), (10, 4), (48, 48), (49, 48), (97, 48), (7, 100)])
def test_chunks_cover_every_interval_exactly_once_and_overlap_by_one_frame(frames, chunk_frames):
    ranges = plan_chunk_ranges(frames, chunk_frames)
    intervals = [i for start, stop, _ in ranges for i in range(start, stop - 1)]
    assert intervals == list(range(frames - 1))  # each pair (i, i + 1) interpolated in exactly one chunk
    assert [final for *_, final in ranges] == [False] * (len(ranges) - 1) + [True]
    assert ranges[-1][1] == frames and all(stop - start <= chunk_frames + 1 for start, stop, _ in ranges)
    for (_, stop, _), (start, _, _) in zip(ranges, ranges[1:]):
        assert start == stop - 1  # a chunk ends on the next chunk's first frame


def test_chunk_ranges_refuse_nothing_to_plan():
    with pytest.raises(ValueError, match="at least one frame"):
        plan_chunk_ranges(0, 48)
    with pytest.raises(ValueError, match="at least one frame"):
        plan_chunk_ranges(10, 0)


def test_content_keys_depend_on_the_content_not_on_dict_order():
    assert content_key("chunk", {"a": 1, "b": 2}) == content_key("chunk", {"b": 2, "a": 1})
    assert content_key("chunk", 0, 49) != content_key("chunk", 0, 48)
    assert len(content_key("x")) == 32 and int(content_key("x"), 16) >= 0


def test_a_video_key_from_an_earlier_release_still_matches():
    # Computed by rifeflow 0.1.0 before the options model was introduced: a rerun after an upgrade
    # must find the manifests and chunks an earlier run wrote.
    options = InterpolationOptions(weights_sha256="ab" * 32)
    assert video_key("s3://b/v.mp4", options.identity(), 48) == "4ad30428f8c47c1dc5ec44a4643e1530"


def test_options_added_later_leave_keys_alone_at_their_defaults():
    plain = InterpolationOptions().identity()
    assert "fps" not in plain and "scene_threshold" not in plain
    assert InterpolationOptions(fps="60").identity()["fps"] == "60"
    assert InterpolationOptions(scene_threshold=0.0).identity()["scene_threshold"] == 0.0
    assert video_key("a", plain, 48) != video_key("a", InterpolationOptions(scene_threshold=0.0).identity(), 48)
