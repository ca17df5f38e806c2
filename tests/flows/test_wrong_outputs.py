"""Never a wrong output reported as fine, tried as a user would with the command line on local folders: an
options change between runs on one DEST, chained runs, roots inside each other, links out of SOURCE, and a
corrupt manifest."""
from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av
import pandas as pd
import pytest

from rifeflow.video.sample import make_sample_clip
from tests.services import pipeline_env, run_cli

pytestmark = pytest.mark.slow  # catalog runs

ARGS = ["--workers", "1", "--heldout-frames", "0"]


def _rate(path: Path) -> Fraction:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return Fraction(stream.average_rate), stream.frames


def _env(tmp_path: Path) -> dict:
    env = pipeline_env(PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_API_URL", None)
    return env


def _rows(dest: Path) -> pd.DataFrame:
    return pd.read_parquet(dest / "metrics").sort_values(["run_started_at", "run_attempt"])


def test_an_output_made_with_other_options_is_done_again_and_says_why(tmp_path):
    source, dest = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    make_sample_clip(str(source / "a.mp4"), seconds=1.0, size=64, fps=25)
    env = _env(tmp_path)
    for exp, factor in ((1, 2), (2, 4), (1, 2)):  # the third run is the first one again
        run = run_cli(["run", str(source), str(dest), "--exp", str(exp), *ARGS], env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "1 videos: 1 done, 0 skipped, 0 failed" in run.stdout, run.stdout
        assert _rate(dest / "a.mp4")[0] == 25 * factor
    assert "a.mp4 was done, and is done again: the object at" in run.stderr
    rows = _rows(dest)
    assert rows["redo_reason"].isna().tolist()[:2] == [True, True]
    last = rows.iloc[-1]
    assert last["status"] == "done" and last["out_frame_rate_exact"] == "50"
    assert "is not the one this video's run published" in last["redo_reason"]
    again = run_cli(["run", str(source), str(dest), "--exp", "1", *ARGS], env)  # now it is the one: skipped
    assert "1 videos: 0 done, 1 skipped, 0 failed" in again.stdout, again.stdout


def test_chained_runs_list_only_videos_and_roots_inside_each_other_or_links_out_are_refused(tmp_path):
    source, first, second = tmp_path / "in", tmp_path / "out", tmp_path / "out2"
    source.mkdir()
    make_sample_clip(str(source / "a.mp4"), seconds=3.0, size=64, fps=25)
    env = _env(tmp_path)
    made = run_cli(["run", str(source), str(first), "--chunk-frames", "30", *ARGS], env)  # leaves work files
    assert made.returncode == 0, made.stderr[-3000:]
    assert list((first / ".rifeflow").rglob("*.mp4")), "the first run left no work files to be listed"
    chained = run_cli(["run", str(first), str(second), *ARGS], env)  # 25 -> 50, then 50 -> 100
    assert chained.returncode == 0, chained.stderr[-3000:]
    assert "1 videos: 1 done" in chained.stdout, chained.stdout
    assert sorted(p.relative_to(second).as_posix() for p in second.rglob("*.mp4")
                  if ".rifeflow" not in p.parts) == ["a.mp4"]
    assert _rate(second / "a.mp4")[0] == 100

    for src, dst, says in ((source, source / "out", "DEST_URI is inside SOURCE_URI"),
                           (first, tmp_path, "SOURCE_URI is inside DEST_URI"),
                           (source, source, "DEST_URI is SOURCE_URI")):
        refused = run_cli(["run", str(src), str(dst), *ARGS], env)
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert refused.stderr.startswith(f"rifeflow: error: {says}"), refused.stderr
        assert "videos:" not in refused.stdout
    assert not (source / "out").exists()

    os.symlink("/etc/hostname", source / "host.mp4")
    linked = run_cli(["run", str(source), str(tmp_path / "out3"), *ARGS], env)
    assert linked.returncode == 1, linked.stderr[-3000:]
    assert "2 videos: 1 done, 0 skipped, 1 failed" in linked.stdout, linked.stdout
    assert "failed: " in linked.stderr and "host.mp4: refused: a symbolic link to a file outside SOURCE_URI" in linked.stderr
    assert not (tmp_path / "out3" / "host.mp4").exists()


def test_a_corrupt_manifest_fails_its_video_alone_until_it_is_removed(tmp_path):
    source, dest = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    for name in ("a", "b"):
        make_sample_clip(str(source / f"{name}.mp4"), seconds=1.0, size=64, fps=25)
    env = _env(tmp_path)
    assert run_cli(["run", str(source), str(dest), *ARGS], env).returncode == 0
    manifests = {json.loads(p.read_text())["source_uri"]: p for p in (dest / ".rifeflow" / "manifests").rglob("*.json")}
    broken = next(p for uri, p in manifests.items() if uri.endswith("a.mp4"))
    broken.write_text('{"video_key": "trunc')
    hurt = run_cli(["run", str(source), str(dest), *ARGS], env)
    assert hurt.returncode == 1, hurt.stderr[-3000:]
    assert "2 videos: 0 done, 1 skipped, 1 failed" in hurt.stdout, hurt.stdout
    assert "not a readable manifest" in hurt.stderr and "remove it" in hurt.stderr, hurt.stderr[-3000:]
    assert (dest / "a.mp4").exists()  # nothing of it was touched
    broken.unlink()
    healed = run_cli(["run", str(source), str(dest), *ARGS], env)
    assert healed.returncode == 0 and "2 videos: 1 done, 1 skipped, 0 failed" in healed.stdout, healed.stdout
