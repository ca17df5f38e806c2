"""Reading and writing video manifests. The flow is their one writer: tasks return records, the flow saves.

Plain functions, run in the flow's process: JSON in storage, no frames.
"""
from __future__ import annotations

import logging
from typing import Literal

from pydantic import ValidationError

from rifeflow.errors import RifeflowError
from rifeflow.manifests.planning import video_key
from rifeflow.manifests.records import InterpolationOptions, VideoManifest
from rifeflow.storage import faults, layout, store

log = logging.getLogger(__name__)

Verdict = Literal["run", "skip", "failed"]


class ManifestCorrupt(RifeflowError, ValueError):
    """A stored manifest that is not JSON at all: that one video fails, naming it, until it is removed."""


def load_manifest(dest_uri: str, key: str) -> VideoManifest | None:
    """The stored manifest, or None (never written, or written by an incompatible rifeflow version; a done
    one of the previous version is carried over, see `_carried_over`)."""
    uri = layout.manifest_uri(dest_uri, key)
    if not store.exists(uri):
        return None
    try:
        data = store.read_json(uri)
    except ValueError as exc:
        raise ManifestCorrupt(f"{layout.printable(uri)}: not a readable manifest ({exc}); remove it to start "
                              "this video over") from None
    try:
        return VideoManifest.model_validate(data)
    except ValidationError as exc:
        carried = _carried_over(data, uri)
        if carried is None:
            log.warning("%s is not a manifest this rifeflow can resume from; starting over (%s)", uri,
                        str(exc).splitlines()[0])
        return carried


def _carried_over(data: dict, uri: str) -> VideoManifest | None:
    """A done video of the previous manifest version, with what still applies (its chunks do not: chunks are
    segments now). It recorded no published output, so its output counts as published when it is no
    newer than the manifest that said done."""
    if not isinstance(data, dict) or data.get("version") != 2 or data.get("status") != "done":
        return None
    keep = {k: data[k] for k in ("video_key", "source_uri", "output_uri", "source_stat", "source_sha256", "options",
                                 "chunk_frames", "probe", "heldout", "status", "timings", "metrics", "retries",
                                 "done_by_run_id") if k in data}
    try:
        manifest = VideoManifest.model_validate(keep)
        output = store.stat(manifest.output_uri)
    except (ValidationError, FileNotFoundError):
        return None
    if store.modified_at(manifest.output_uri) > store.modified_at(uri) + 1.0:
        return None
    return manifest.model_copy(update={"output_stat": output})


def save_manifest(dest_uri: str, manifest: VideoManifest) -> VideoManifest:
    store.write_json_atomic(layout.manifest_uri(dest_uri, manifest.video_key), manifest.model_dump(mode="json"))
    return manifest


class ManifestWriter:
    """Saves a video's manifest only while this run holds the output's lease (see leases.Holding)."""

    def __init__(self, dest_uri: str, held):
        self.dest_uri, self.held = dest_uri, held

    def save(self, manifest: VideoManifest) -> VideoManifest:
        """Save; a done manifest only after reading that the lease is still ours (it says the output is ours)."""
        self.held.check(against_store=manifest.status == "done")
        return save_manifest(self.dest_uri, manifest)


def published_as_recorded(manifest: VideoManifest) -> str | None:
    """None when the object at the output key is the one this manifest published; else why it is not."""
    shown = layout.printable(manifest.output_uri)
    try:
        current = store.stat(manifest.output_uri)
    except FileNotFoundError:
        return f"its output {shown} is gone"
    recorded = manifest.output_stat
    if recorded is None:
        return f"its manifest recorded no published output to compare {shown} with"
    if current != recorded:
        return (f"the object at {shown} is not the one this video's run published (size {recorded.size} -> "
                f"{current.size}, version {recorded.version} -> {current.version}): another run or a person "
                "wrote it since")
    return None


def start_video(source_uri: str, source_root: str, dest_uri: str, options: InterpolationOptions, encoding: dict,
                chunk_frames: int, output_uri: str | None = None) -> tuple[VideoManifest, Verdict]:
    """The manifest to continue from, and what to do with the video.

    skip: done, source unchanged, and the object at the output key still the one this manifest published.
    failed: the source itself was found bad (not a video, no video stream, ...) and has not changed since;
    it is not tried again. run: anything else, resuming from whatever an earlier run finished; a done
    video whose output is not what it published is done again, with the reason in `redo_reason`.
    """
    key = video_key(source_uri, options.identity(), chunk_frames, encoding)
    with faults.reading_source(source_uri):
        stat = store.stat(source_uri)
    existing = load_manifest(dest_uri, key)
    redo = None
    if existing is not None and existing.source_stat == stat:
        if existing.status == "done":
            redo = published_as_recorded(existing)
            if redo is None:
                return existing, "skip"
            log.warning("%s was done, and is done again: %s", layout.printable(source_uri), redo)
        elif existing.status == "failed" and existing.error_kind == "permanent":
            return existing, "failed"
        else:
            return existing.model_copy(update={"error": None, "error_kind": None, "retries": 0,
                                               "done_by_run_id": None}), "run"
    fresh = VideoManifest(
        video_key=key, source_uri=source_uri, source_stat=stat, options=options, chunk_frames=chunk_frames,
        output_uri=output_uri or layout.output_uri(source_root, dest_uri, source_uri, encoding["codec"]),
        redo_reason=redo,
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
