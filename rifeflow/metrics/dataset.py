"""The metrics dataset under DEST_URI/metrics/: one Parquet file per run attempt, hive-partitioned by date.

The rows are kept by the flow and written once, when the run ends (also when it fails or times
out). A run killed outright writes none: its finished videos' figures stay in their manifests, and
the next run's rows for them (skipped) carry those figures.
"""
from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from rifeflow.manifests.records import VideoManifest, VideoOutcome
from rifeflow.storage import faults, layout, store
from rifeflow.metrics.schema import SCHEMA, SCHEMA_VERSION

log = logging.getLogger(__name__)

STAGES = ("prepare", "interpolate", "stitch", "metrics")
WALL_STAGES = ("prepare", "interpolate", "stitch")  # the held-out check runs inside `interpolate`


# This run's, never a stored figure's.
_RUN_COLUMNS = {"retries", "done_by_run_id", "status", "error", "error_kind", "error_category"}


def build_row(outcome: VideoOutcome, manifest: VideoManifest | None, run_id: str, attempt: int,
              run_started_at: datetime, workers: int, provenance: dict) -> dict:
    row = {name: None for name in SCHEMA.names}
    row.update(schema_version=SCHEMA_VERSION, run_id=run_id, run_attempt=attempt, run_started_at=run_started_at,
               workers=workers,
               source_uri=outcome.source_uri, output_uri=outcome.output_uri, status=outcome.status,
               error=outcome.error, error_kind=outcome.error_kind, error_category=outcome.error_category,
               video_key=outcome.video_key,
               retries=outcome.retries if outcome.status == "done" else 0,
               done_by_run_id=run_id if outcome.status == "done" else None, **provenance)
    if manifest is not None:
        o = manifest.options
        row.update(source_sha256=manifest.source_sha256, output_uri=manifest.output_uri, video_key=manifest.video_key,
                   redo_reason=manifest.redo_reason if outcome.status != "skipped" else None,
                   model=o.model, weights_sha256=o.weights_sha256, exp=o.exp, scale=o.scale, tta=o.tta, mode=o.mode,
                   fp16=o.fp16, chunk_frames=manifest.chunk_frames)
        if manifest.encoder is not None:
            e = manifest.encoder
            row.update(encoder=e.codec, encoder_crf=e.crf, encoder_preset=e.preset, encoder_pix_fmt=e.pix_fmt)
        if outcome.status == "failed":
            row["retries"] = manifest.retries
        if outcome.status == "skipped":
            row["done_by_run_id"] = manifest.done_by_run_id
        if outcome.status != "failed":  # a failed run's stored metrics belong to an earlier run
            row.update({k: v for k, v in manifest.metrics.items() if k in row and k not in _RUN_COLUMNS})
        if outcome.status == "done":
            timings = {**manifest.timings, "metrics": manifest.metrics.get("metrics_s", 0.0)}
            row.update({f"{s}_s": timings.get(s) for s in STAGES})
            row["total_s"] = sum(timings.get(s, 0.0) for s in WALL_STAGES)
            if row["total_s"] and row.get("out_frames"):
                row["throughput_frames_per_s"] = row["out_frames"] / row["total_s"]
        else:
            row.update({f"{s}_s": None for s in STAGES}, total_s=None, throughput_frames_per_s=None)
    return row


def video_row(outcome: VideoOutcome, dest_uri: str, run_id: str, attempt: int, run_started_at: datetime,
              workers: int) -> dict:
    """A video's row, from its outcome and its manifest's figures (the one the run left in memory, or the
    stored one for a video that failed; a manifest that cannot be read leaves the figures empty)."""
    from rifeflow.metrics.facts import provenance
    from rifeflow.storage.manifest_store import load_manifest

    manifest = outcome.manifest
    if manifest is None and outcome.video_key:
        try:
            manifest = load_manifest(dest_uri, outcome.video_key)
        except (OSError, ValueError) as exc:  # the outcome still counts, without the manifest's figures
            log.error("figures of %s not read: %s", layout.printable(outcome.source_uri), exc)
    return build_row(outcome, manifest, run_id, attempt, run_started_at, workers, provenance())


def write_run(dest_uri: str, rows: list[dict], run_id: str, attempt: int, run_started_at: datetime) -> str | None:
    """Publish a run attempt's rows as one Parquet file (atomic); returns its URI (None: no rows)."""
    if not rows:
        return None
    uri = layout.metrics_file_uri(dest_uri, run_started_at.date(), f"{run_id}-{attempt}")
    table = pa.Table.from_pylist(rows, schema=SCHEMA)  # the schema's columns, in its order
    with tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        path = os.path.join(tmp, "part.parquet")
        pq.write_table(table, path)
        store.upload_atomic(path, uri)
    return uri


def metrics_dataset(dest_uri: str) -> ds.Dataset:
    """The whole dataset, read with pyarrow (through s3fs for s3:// URIs)."""
    uri = layout.metrics_root(dest_uri)
    fs, root = store.filesystem(uri)
    files = faults.call(uri, lambda: [p for p in fs.find(root) if p.endswith(".parquet")] if fs.exists(root) else [])
    if not files:
        raise FileNotFoundError(f"no metrics under {uri}")
    partitioning = ds.partitioning(pa.schema([("run_date", pa.string())]), flavor="hive")
    # Read with the current schema: files of older runs lack the newer columns, which read as nulls.
    return ds.dataset(root, filesystem=fs, format="parquet", partitioning=partitioning,
                      schema=SCHEMA.append(pa.field("run_date", pa.string())))


def read_metrics(dest_uri: str) -> pd.DataFrame:
    dataset = metrics_dataset(dest_uri)
    return faults.call(layout.metrics_root(dest_uri), lambda: dataset.to_table().to_pandas())
