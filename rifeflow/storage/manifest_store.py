"""Reading and writing video manifests. The flow is their one writer: tasks return records, the flow saves.

Plain functions, run in the flow's process: JSON in storage, no frames.
"""
from __future__ import annotations

import logging
from typing import Literal

from pydantic import ValidationError

from rifeflow.manifests.planning import video_key
from rifeflow.manifests.records import InterpolationOptions, VideoManifest
from rifeflow.storage import faults, layout, store

log = logging.getLogger(__name__)

Verdict = Literal["run", "skip", "failed"]


def load_manifest(dest_uri: str, key: str) -> VideoManifest | None:
    """The stored manifest, or None (never written, or written by an incompatible rifeflow version)."""
    uri = layout.manifest_uri(dest_uri, key)
    if not store.exists(uri):
        return None
    try:
        return VideoManifest.model_validate(store.read_json(uri))
    except ValidationError as exc:
        log.warning("%s is not a manifest this rifeflow can resume from; starting over (%s)", uri,
                    str(exc).splitlines()[0])
        return None


def save_manifest(dest_uri: str, manifest: VideoManifest) -> VideoManifest:
    store.write_json_atomic(layout.manifest_uri(dest_uri, manifest.video_key), manifest.model_dump(mode="json"))
    return manifest


def start_video(source_uri: str, source_root: str, dest_uri: str, options: InterpolationOptions, encoding: dict,
                chunk_frames: int, output_uri: str | None = None) -> tuple[VideoManifest, Verdict]:
    """The manifest to continue from, and what to do with the video.

    skip: done, output present and source unchanged. failed: the source itself was found bad
    (not a video, no video stream, ...) and has not changed since; it is not tried again.
    run: anything else, resuming from whatever an earlier run finished.
    """
    key = video_key(source_uri, options.identity(), chunk_frames, encoding)
    with faults.reading_source(source_uri):
        stat = store.stat(source_uri)
    existing = load_manifest(dest_uri, key)
    if existing is not None and existing.source_stat == stat:
        if existing.status == "done" and store.exists(existing.output_uri):
            return existing, "skip"
        if existing.status == "failed" and existing.error_kind == "permanent":
            return existing, "failed"
        if existing.status != "done":
            return existing.model_copy(update={"error": None, "error_kind": None, "retries": 0,
                                               "done_by_run_id": None}), "run"
    fresh = VideoManifest(
        video_key=key, source_uri=source_uri, source_stat=stat, options=options, chunk_frames=chunk_frames,
        output_uri=output_uri or layout.output_uri(source_root, dest_uri, source_uri),
    )
    return save_manifest(dest_uri, fresh), "run"


def clean_staging(dest_uri: str, output_uri: str) -> int:
    """Remove what an earlier holder of this output's lease left in its staging folder (killed mid-upload)."""
    left = store.listing(layout.staging_dir(dest_uri, output_uri))
    for uri, _ in left:
        store.remove(uri)
    if left:
        log.info("removed %d leftover staging file(s) of %s", len(left), layout.printable(output_uri))
    return len(left)
