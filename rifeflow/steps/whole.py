"""A short video in one task: prepare, interpolate and stitch on one worker, when the whole video fits in
one chunk. Each Prefect task costs about a quarter of a CPU-second of bookkeeping (bench/RESULTS.md), as
much as interpolating a second of 384x384 video takes the data path, so a short render pays for one
task instead of three. A longer video comes back prepared, and its chunks go to the workers one by one.
"""
from __future__ import annotations

from rifeflow.manifests.records import InterpolationOptions, SourceRef, VideoManifest, WholeVideo
from rifeflow.metrics.heldout import summarise
from rifeflow.steps.chunk import interpolate_chunk
from rifeflow.steps.prepare import prepare_video
from rifeflow.steps.stitch import stitch_video
from rifeflow.storage.leases import Lease


def interpolate_whole(manifest: VideoManifest, dest_uri: str, options: InterpolationOptions, encoding: dict,
                      heldout_count: int, weights: str | None, lease: Lease) -> WholeVideo:
    """The video done in one go when it is one chunk (prepared, interpolated, stitched); else only prepared."""
    prepared = prepare_video(manifest.source_uri, manifest.source_stat, dest_uri, options, encoding,
                             manifest.chunk_frames, heldout_count)
    if len(prepared.chunks) > 1:
        return WholeVideo(prepared=prepared)
    source = SourceRef(uri=manifest.source_uri, stat=manifest.source_stat)
    result = interpolate_chunk(prepared.chunks[0], source, prepared.probe, options, prepared.encoder, weights,
                               prepared.mouth)
    interpolated = manifest.with_prepared(prepared).with_result(result).model_copy(
        update={"heldout": summarise(result.heldout, result.heldout_seconds), "status": "interpolated"})
    stitched = stitch_video(interpolated, dest_uri, lease)
    return WholeVideo(prepared=prepared, result=result, stitched=stitched)
