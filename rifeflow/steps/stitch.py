"""A video's last stage, on a worker: encode the interpolated chunks in order, carry the source's audio,
gather the output's facts and temporal statistics while encoding, and publish at the output key.
"""
from __future__ import annotations

import os
import tempfile
import time

from rifeflow.errors import VideoError
from rifeflow.manifests.records import StitchResult, VideoManifest
from rifeflow.storage import layout, scratch, store
from rifeflow.video.chunks import read_chunk
from rifeflow.metrics.quality import TemporalStats
from rifeflow.threads import prefetch
from rifeflow.metrics.facts import container_facts
from rifeflow.video.read import probe_timeline
from rifeflow.video.write import VideoWriter, encode_frames


def _chunk_frames(uris: list[str]):
    for uri in uris:
        with store.local_copy(uri) as path:
            yield from read_chunk(path)


def stitch_video(manifest: VideoManifest, dest_uri: str, crf: int, preset: str) -> StitchResult:
    """Publish the finished video; its facts come from the local file before upload, not from a download."""
    started = time.perf_counter()
    counts = [c.frames_out(manifest.options.exp) for c in manifest.chunks]
    seams = {sum(counts[:i]) for i in range(1, len(counts))}
    ext = os.path.splitext(manifest.output_uri)[1]
    stats = TemporalStats()
    try:
        facts = _encode(manifest, dest_uri, crf, preset, ext, seams, stats)
    except VideoError as exc:  # name the source, not this worker's scratch copy of it
        raise VideoError(manifest.source_uri, exc.reason) from None
    scratch.release(manifest.source_uri, manifest.source_stat)
    return StitchResult(output_uri=manifest.output_uri, facts=facts, temporal=stats.summary(),
                        seconds=time.perf_counter() - started)


def _encode(manifest: VideoManifest, dest_uri: str, crf: int, preset: str, ext: str, seams: set[int],
            stats: TemporalStats) -> dict:
    """Encode the chunks with the source's audio and publish the result; returns the output's facts."""
    probe = manifest.probe
    with scratch.clear_when_full(f"{manifest.output_uri}: stitching"), \
            scratch.source_copy(manifest.source_uri, manifest.source_stat) as source, \
            tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        local_out = os.path.join(tmp, "out" + ext)
        writer = VideoWriter(local_out, probe.model_copy(update={"source": source}),
                             manifest.options.output_rate(probe.rate), bit_depth=probe.frame_bits, crf=crf,
                             preset=preset)
        frames = prefetch(_chunk_frames([c.output_uri for c in manifest.chunks]), depth=16)
        encode_frames(writer, frames, lambda count, frame: stats.add(frame, at_seam=count - 1 in seams))
        output, _ = probe_timeline(local_out, decode=False)
        facts = container_facts(output, "out", os.path.getsize(local_out))
        staging = layout.staging_uri(dest_uri, manifest.output_uri, ext)
        store.upload_atomic(local_out, staging)
        store.move(staging, manifest.output_uri)
    return facts
