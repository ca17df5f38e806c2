"""Metrics on real clips, the Parquet dataset through pandas, pyarrow and DuckDB, and `rifeflow report`."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from rifeflow.manifests.records import InterpolationOptions
from rifeflow.metrics.schema import COLUMNS, SCHEMA, SCHEMA_VERSION
from rifeflow.steps.heldout import heldout_of_file
from tests.services import RIFEFLOW

pytestmark = pytest.mark.slow  # servers or a browser

REPO = Path(__file__).resolve().parents[2]
TALKING_HEADS = ["talking_head_mpeg4.mp4", "talking_head.mp4", "vfr.mp4"]


@pytest.mark.parametrize("name", TALKING_HEADS)
def test_heldout_psnr_beats_neighbour_average_on_talking_heads(videos, name):
    q = heldout_of_file(str(videos / name), InterpolationOptions(), None, 16)[0].model_dump()
    print(f"\n{name}: model {q['heldout_psnr_db']:.2f} dB / {q['heldout_ssim']:.4f}, neighbour average "
          f"{q['baseline_psnr_db']:.2f} dB / {q['baseline_ssim']:.4f} over {q['heldout_n']} triplets")
    assert q["heldout_n"] >= 8
    assert q["heldout_psnr_db"] > q["baseline_psnr_db"]


def _frame(df, name):
    return df[df["source_uri"].str.endswith(name)]


def test_rows_for_every_video_and_run_with_errors_cuts_and_sync(metrics_dest):
    df = pd.read_parquet(metrics_dest / "metrics")
    assert len(df) == 9 and df["run_id"].nunique() == 3  # runs appended, not overwritten
    assert sorted(df["status"].value_counts().items()) == [("done", 3), ("failed", 3), ("skipped", 3)]
    failed = df[df["status"] == "failed"]
    assert failed["error"].str.contains("not a video").all() and failed["source_uri"].str.endswith("notes.mp4").all()
    assert (failed["error_category"] == "bad_video").all() and (failed["error_kind"] == "permanent").all()
    cut = _frame(df[df["status"] == "done"], "cut.mp4").iloc[0]
    print(f"\nscene cuts at {list(cut['scene_cut_times_s'])} s")
    assert any(abs(t - 1.6) < 0.05 for t in cut["scene_cut_times_s"])  # frame 40 at 25 fps: bikes, then the car
    done = df[df["status"] == "done"]
    for _, row in done.iterrows():
        assert abs(row["av_drift_ms"]) < 1000 / row["out_frame_rate"]
        assert row["out_frame_rate"] == 2 * row["in_frame_rate"] and row["out_frames"] == 2 * row["in_frames"]
        assert row["heldout_n"] > 0 and row["prepare_s"] > 0 and row["interpolate_s"] > 0 and row["total_s"] > 0
        assert row["weights_sha256"] and row["source_sha256"] and row["pyav_version"] and row["ffmpeg_version"]
        assert row["throughput_frames_per_s"] == row["out_frames"] / row["total_s"]
        colour = [row[f"{side}_{tag}"] for side in ("in", "out")
                  for tag in ("color_matrix", "color_primaries", "color_transfer", "color_range")]
        assert colour[:4] == colour[4:] and all(isinstance(c, str) and c for c in colour), colour
    skipped = df[df["status"] == "skipped"]
    assert skipped["heldout_psnr_db"].notna().all() and skipped["total_s"].isna().all()


def test_the_mouth_is_measured_where_there_is_a_face_and_said_why_not_elsewhere(metrics_dest):
    done = pd.read_parquet(metrics_dest / "metrics").query("status == 'done'")
    talk, phone = _frame(done, "talk.mp4").iloc[0], _frame(done, "phone.mp4").iloc[0]
    assert pd.isna(talk["mouth_reason"]) and talk["mouth_found"] == talk["mouth_checked"] == 3
    assert 0 <= talk["mouth_x"] and talk["mouth_x"] + talk["mouth_w"] <= talk["in_width"]
    assert talk["mouth_heldout_n"] == talk["heldout_n"] > 0
    assert talk["mouth_heldout_psnr_db"] > 20 and talk["mouth_inbetween_mad"] >= 0
    assert talk["inbetween_luma_shift"] < 2.0  # new frames as bright as their neighbours
    # The test clip's voice is made up, not the speaker's: the sync check says its offsets mean nothing.
    assert "hardly agree" in talk["sync_reason"] and pd.isna(talk["sync_offset_change_ms"])
    assert phone["mouth_reason"].startswith("no face found in the 3 frames checked")
    assert pd.isna(phone["mouth_heldout_psnr_db"]) and pd.isna(phone["mouth_x"])
    assert phone["sync_reason"].startswith("no mouth")


def test_dataset_reads_with_the_documented_types(metrics_dest):
    dataset = ds.dataset(metrics_dest / "metrics", format="parquet", partitioning="hive")
    fields = {f.name: f.type for f in dataset.schema}
    assert "run_date" in fields
    for name, dtype, _, _ in COLUMNS:
        assert fields[name] == dtype, name
    con = duckdb.connect()
    glob = str(metrics_dest / "metrics" / "**" / "*.parquet")
    rows = con.execute(f"select status, count(*) from read_parquet('{glob}', hive_partitioning=true) "
                       "group by status order by status").fetchall()
    assert rows == [("done", 3), ("failed", 3), ("skipped", 3)]
    described = con.execute(f"describe select * from read_parquet('{glob}', hive_partitioning=true)").fetchall()
    types = {r[0]: r[1] for r in described}
    assert types["heldout_psnr_db"] == "DOUBLE" and types["out_frames"] == "BIGINT"
    assert types["scene_cut_times_s"] == "DOUBLE[]" and types["run_started_at"].startswith("TIMESTAMP")


def test_one_file_per_run_with_units_and_descriptions_in_its_fields(metrics_dest):
    files = sorted((metrics_dest / "metrics").rglob("*.parquet"))
    counts = sorted(pq.read_metadata(f).num_rows for f in files)
    assert counts == [1, 4, 4]  # the third run wrote only its new failure
    schema = pq.read_schema(files[0])
    psnr, rate = schema.field("heldout_psnr_db").metadata, schema.field("out_frame_rate").metadata
    assert psnr[b"unit"] == b"dB" and b"true frame" in psnr[b"description"]
    assert rate[b"unit"] == b"frames/s" and schema.field("out_frame_rate").type == pa.float64()
    assert schema.metadata[b"rifeflow.schema_version"] == str(SCHEMA_VERSION).encode()


def test_colour_tags_read_as_ffmpeg_names():
    from rifeflow.metrics.facts import MATRIX, PRIMARIES, RANGE, TRANSFER, color_name

    assert color_name(MATRIX, 1) == "bt709" and color_name(MATRIX, 9) == "bt2020nc"
    assert color_name(TRANSFER, 16) == "smpte2084" and color_name(RANGE, 1) == "tv"
    assert color_name(PRIMARIES, 3) == "reserved-3" and color_name(MATRIX, None) is None
    import av

    assert av.video.reformatter.Colorspace.ITU709.value == 1 and av.video.reformatter.Colorspace.BT2020.value == 9


def test_error_categories_are_stable_names_for_what_failed():
    from rifeflow.errors import (ERROR_CATEGORIES, AccessDenied, ObjectNotFound, OptionError, StorageUnreachable,
                                 VideoError, WeightsError, error_category)
    from rifeflow.orchestration.waiting import StalledError

    class KilledWorker(Exception):
        pass

    cases = {VideoError("a.mp4", "truncated"): "bad_video", OptionError("exp 9"): "bad_option",
             ObjectNotFound("gone"): "missing_object", AccessDenied("no"): "access_denied",
             StorageUnreachable("down"): "storage", WeightsError("bad"): "weights", StalledError("slow"): "timeout",
             KilledWorker("w"): "worker_lost", RuntimeError("?"): "internal"}
    assert {error_category(e) for e in cases} <= set(ERROR_CATEGORIES)
    assert [error_category(e) for e in cases] == list(cases.values())


def test_no_partial_files_and_partition_key_not_a_column(metrics_dest):
    files = list((metrics_dest / "metrics").rglob("*"))
    assert not [f for f in files if f.name.endswith(".partial")]
    assert all(f.parent.name.startswith("run_date=") for f in files if f.is_file())
    assert "run_date" not in SCHEMA.names


def test_report_prints_summary_and_draws_the_plot(metrics_dest, tmp_path):
    png = tmp_path / "report.png"
    run = subprocess.run([RIFEFLOW, "report", str(metrics_dest), "--plot", str(png)], capture_output=True, text=True)
    print(run.stdout)
    assert run.returncode == 0, run.stderr
    assert "4 videos in 3 runs (9 rows)" in run.stdout and "Failures by category: bad_video 1" in run.stdout
    assert "not a video FFmpeg can read" in run.stdout and "Worst 10" in run.stdout and "Throughput" in run.stdout
    assert "Mouth (held-out PSNR inside the mouth box) over 1 videos" in run.stdout
    assert "No mouth measured in 2 videos: no face found in the 3 frames checked of its first second" in run.stdout
    assert png.stat().st_size > 10_000
    machine = subprocess.run([RIFEFLOW, "report", str(metrics_dest), "--json", "-q"], capture_output=True, text=True)
    summary = json.loads(machine.stdout)
    assert (summary["videos"], summary["runs"], summary["rows"]) == (4, 3, 9)
    assert summary["failures_by_category"] == {"bad_video": 1}
    assert summary["latest_status"] == {"skipped": 3, "failed": 1}  # the second run's rows are the latest
    assert summary["heldout_psnr_db"]["videos"] == 3 and summary["throughput"]["videos"] == 3
    assert summary["mouth_psnr_db"]["videos"] == 1 and summary["mouth_psnr_db"]["median"] > 20
    assert summary["no_mouth"] == {"no face found in the 3 frames checked of its first second": 2}
