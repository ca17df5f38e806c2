"""Output names from object keys: every key either gets a safe place under DEST or a reason."""
from __future__ import annotations

import pytest

from rifeflow.storage import layout


@pytest.mark.parametrize("key, reason", [
    ("deep/../../escape.mp4", "'..'"), ("./x.mp4", "'.'"), ("/abs.mp4", "empty path segment"),
    ("a//b.mp4", "empty path segment"), ("new\nline.mp4", "control character"), ("tab\t.mp4", "control character"),
    ("back\\slash.mp4", "backslash"), ("n" * 250 + ".mp4", "longer than"),
])
def test_unsafe_keys_have_a_reason(key, reason):
    assert reason in layout.unsafe_reason(key)


@pytest.mark.parametrize("key", ["a.mp4", "nested/Upper Case/ünï cödé.MOV", "..dots..mp4", "a/.hidden.mkv"])
def test_ordinary_keys_are_safe(key):
    assert layout.unsafe_reason(key) is None


def test_outputs_stay_under_dest_and_collisions_are_refused(tmp_path):
    src, dest = tmp_path / "in", tmp_path / "out"
    sources = [str(src / k) for k in ("x.avi", "x.mp4", "y.webm", "deep/../../escape.mp4", "ok.mkv")]
    outputs, refused = layout.plan_outputs(str(src), str(dest), sources)
    assert sorted(outputs.values()) == [str(dest / "ok.mkv"), str(dest / "x.mp4"), str(dest / "y.mp4")]
    assert outputs[str(src / "x.mp4")] == str(dest / "x.mp4")
    assert "is also the output of" in refused[str(src / "x.avi")] and "x.mp4" in refused[str(src / "x.avi")]
    assert "'..'" in refused[str(src / "deep/../../escape.mp4")]


def test_printable_escapes_control_characters():
    assert layout.printable("s3://b/in/a\nb\x1b[31m.mp4") == "s3://b/in/a\\nb\\x1b[31m.mp4"
