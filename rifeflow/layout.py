"""Where everything lives under DEST_URI. Only this module knows the layout."""
from __future__ import annotations

import posixpath
import uuid
from datetime import date

from rifeflow import storage

WORK_DIR = ".rifeflow"
OUTPUT_CONTAINERS = (".mp4", ".mov", ".mkv")


def output_uri(source_root: str, dest_uri: str, source_uri: str) -> str:
    """Same relative path under DEST; containers H.264 cannot go in (.webm, .avi, ...) become .mp4."""
    rel = storage.relative(source_root, source_uri)
    if rel in (".", ""):
        rel = posixpath.basename(source_uri)
    stem, ext = posixpath.splitext(rel)
    return storage.join(dest_uri, stem + (ext if ext.lower() in OUTPUT_CONTAINERS else ".mp4"))


def manifest_uri(dest_uri: str, video_key: str) -> str:
    return storage.join(dest_uri, WORK_DIR, "manifests", f"{video_key}.json")


def chunk_uri(dest_uri: str, key: str) -> str:
    return storage.join(dest_uri, WORK_DIR, "chunks", key[:2], f"{key}.mkv")


def chunk_result_uri(chunk_output_uri: str) -> str:
    """Where a chunk's result record is stored, beside its output."""
    return chunk_output_uri.rsplit(".", 1)[0] + ".json"


def staging_uri(dest_uri: str, suffix: str) -> str:
    return storage.join(dest_uri, WORK_DIR, "staging", f"{uuid.uuid4().hex}{suffix}")


def metrics_root(dest_uri: str) -> str:
    return storage.join(dest_uri, "metrics")


def metrics_file_uri(dest_uri: str, run_date: date, name: str) -> str:
    return storage.join(metrics_root(dest_uri), f"run_date={run_date.isoformat()}", f"part-{name}.parquet")


def is_work_path(dest_uri: str, uri: str) -> bool:
    """Files rifeflow itself wrote under DEST (never treated as catalog input)."""
    _, dest = storage.filesystem(dest_uri)
    _, path = storage.filesystem(uri)
    return path.startswith(dest.rstrip("/") + "/")
