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


@pytest.mark.parametrize("key, reason", [
    ("spoof\u202egnp.mp4", "bidirectional-text control"), ("iso\u2066late.mp4", "bidirectional-text control"),
    ("line\u2028sep.mp4", "line-breaking"), ("para\u2029.mp4", "line-breaking"), ("nel\x85.mp4", "control character"),
    ("old/.rifeflow/chunks/ab.mkv", ".rifeflow/"),
])
def test_names_that_forge_log_lines_or_spoof_are_refused(key, reason):
    assert reason in layout.unsafe_reason(key)
    assert "\u202e" not in layout.printable(key) and "\u2028" not in layout.printable(key)


def test_names_one_file_apart_only_in_case_or_unicode_form_are_refused(tmp_path):
    src, dest = tmp_path / "in", tmp_path / "out"
    nfc, nfd = "caf\u00e9.mp4", "cafe\u0301.mp4"
    sources = [str(src / k) for k in ("X.mp4", "x.mp4", nfc, nfd, "other.mp4")]
    outputs, refused = layout.plan_outputs(str(src), str(dest), sources)
    assert sorted(outputs) == sorted(str(src / k) for k in ("X.mp4", "other.mp4", nfc))
    assert "case or Unicode form" in refused[str(src / "x.mp4")] and "X.mp4" in refused[str(src / "x.mp4")]
    assert "case or Unicode form" in refused[str(src / nfd)]


def test_work_folders_links_outside_and_nested_roots_never_make_videos(tmp_path):
    from rifeflow.errors import OptionError
    from rifeflow.storage import store

    src = tmp_path / "in"
    (src / "old-dest" / ".rifeflow" / "chunks").mkdir(parents=True)
    (src / "old-dest" / ".rifeflow" / "chunks" / "ab.mkv").write_bytes(b"x")
    (src / "real.mp4").write_bytes(b"x")
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"x")
    (src / "link.mp4").symlink_to(outside)
    (src / "inside.mp4").symlink_to(src / "real.mp4")  # a link that stays inside is an ordinary file
    found = [u for u in store.list_videos(str(src)) if not layout.is_work_path(str(tmp_path / "dest"), u)]
    assert sorted(p.rsplit("/", 1)[-1] for p in found) == ["inside.mp4", "link.mp4", "real.mp4"]
    outputs, refused = layout.plan_outputs(str(src), str(tmp_path / "dest"), found)
    assert "symbolic link to a file outside SOURCE_URI" in refused[str(src / "link.mp4")]
    assert sorted(outputs) == [str(src / "inside.mp4"), str(src / "real.mp4")]
    for source, dest in ((src, src / "out"), (src / "sub", src), (src, src)):
        with pytest.raises(OptionError, match="would be listed as videos"):
            layout.check_roots(str(source), str(dest))
    layout.check_roots(str(src), str(tmp_path / "dest"))
