"""A metrics dataset produced by the real pipeline (two runs over a small local catalog)."""
from __future__ import annotations

import shutil

import pytest

from tests.services import pipeline_env, run_cli

CATALOG = {"scene_cut_streams.mp4": "scenes/cut.mp4", "phone_rotated.mp4": "phone.mp4", "talking_head.mp4": "talk.mp4"}


@pytest.fixture(scope="session")
def metrics_dest(tmp_path_factory, videos):
    root = tmp_path_factory.mktemp("metrics-run")
    source, dest = root / "in", root / "out"
    for name, rel in CATALOG.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(videos / name, source / rel)
    (source / "notes.mp4").write_text("not a video\n")
    env = pipeline_env(PREFECT_HOME=str(root / "prefect"))
    env.pop("PREFECT_API_URL", None)
    args = ["run", str(source), str(dest), "--workers", "2", "--scale", "0.5", "--chunk-frames", "100",
            "--preset", "veryfast", "--heldout-frames", "8"]
    # Two runs, then a third without rows for the videos it skips (only notes.mp4's failure is new).
    runs = [run_cli(args, env) for _ in range(2)] + [run_cli(args + ["--no-record-skipped"], env)]
    assert [r.returncode for r in runs] == [1, 1, 1], runs[0].stderr[-3000:]
    return dest
