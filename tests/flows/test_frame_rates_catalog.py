"""`rifeflow run --fps`: exact rates through chunks, the same frames whatever the chunk size (x264 at crf 0
is lossless: its decoded frames are the ones handed to the encoder), and a variable-rate source at its true
times (no duplicated frames)."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pandas as pd
import pytest

from rifeflow.video.sample import make_sample_clip
from rifeflow.video.read import probe_video
from tests.helpers import make_vfr_clip
from tests.services import pipeline_env, run_cli

pytestmark = pytest.mark.slow  # a catalog run


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fps-in")
    make_sample_clip(str(folder / "c25.mp4"), seconds=1.5, size=64, fps=25)
    make_vfr_clip(folder / "vfr.mp4", size=64, frames=24)
    return folder


def _frames(folder):
    """Each output's decoded frames with their times."""
    out = {}
    for path in sorted(folder.glob("*.mp4")):
        with av.open(str(path)) as c:
            out[path.name] = [(f.time, f.to_ndarray(format="yuv420p")) for f in c.decode(video=0)]
    return out


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k]) and all(ta == tb and np.array_equal(fa, fb) for (ta, fa), (tb, fb) in zip(a[k], b[k]))
        for k in a)


def test_fps_through_chunks_is_exact_and_independent_of_chunk_size(clips, prefect_server, tmp_path):
    outputs = {}
    for chunk_frames in (8, 16):
        dest = tmp_path / f"out{chunk_frames}"
        proc = run_cli(["run", str(clips), str(dest), "--fps", "60", "--workers", "1", "--chunk-frames",
                        str(chunk_frames), "--crf", "0", "--preset", "ultrafast", "--heldout-frames", "2"],
                       pipeline_env(prefect_server))
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs[chunk_frames] = _frames(dest)
    assert _same(outputs[8], outputs[16]) and len(outputs[8]) == 2
    rows = pd.read_parquet(tmp_path / "out8" / "metrics").set_index("source_uri")
    for name in ("c25.mp4", "vfr.mp4"):
        source, made = probe_video(str(clips / name)), probe_video(str(tmp_path / "out8" / name))
        assert made.rate == 60 and not made.vfr
        assert made.frames == round(Fraction(source.frames) / source.rate * 60)
        row = rows.loc[str(clips / name)]
        assert row["out_frame_rate_exact"] == "60" and row["out_frame_rate"] == 60.0 and row["out_frames"] == made.frames
        if name == "c25.mp4":  # the one with audio
            assert abs(row["av_drift_ms"]) < 1000 / 60 / 2
    assert rows.loc[str(clips / "vfr.mp4"), "in_vfr"]
    assert rows.loc[str(clips / "vfr.mp4"), "duplicate_frame_ratio"] == 0  # the source moves in every frame


def test_bad_rate_is_refused_before_anything_runs(clips, prefect_server, tmp_path):
    proc = run_cli(["run", str(clips), str(tmp_path / "out"), "--fps", "fast"], pipeline_env(prefect_server))
    assert proc.returncode == 2 and "not a frame rate: 'fast'" in proc.stderr
    assert not (tmp_path / "out").exists()
