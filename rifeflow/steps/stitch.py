"""A video's last stage, on a worker: join its segments and the source's audio by copying packets (no frame
is decoded or encoded), gather the output's facts, and publish at the output key.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time

from rifeflow.errors import VideoError
from rifeflow.manifests.records import StitchResult, VideoManifest
from rifeflow.metrics.facts import container_facts
from rifeflow.metrics.quality import combine_temporal
from rifeflow.metrics.sync import lip_sync
from rifeflow.video.audio import SYNC_RATE, mono_samples
from rifeflow.storage import layout, scratch, store
from rifeflow.storage.leases import Lease, ensure_held
from rifeflow.video.read import probe_timeline
from rifeflow.video.segments import join_segments


def stitch_video(manifest: VideoManifest, dest_uri: str, lease: Lease) -> StitchResult:
    """Publish the finished video, only while `lease` still holds the output; its facts come from the local
    file before upload, not from a download."""
    started = time.perf_counter()
    try:
        facts, sync = _join(manifest, dest_uri, lease)
    except VideoError as exc:  # name the source, not this worker's scratch copy of it
        raise VideoError(manifest.source_uri, exc.reason) from None
    scratch.release(manifest.source_uri, manifest.source_stat)
    temporal = combine_temporal([r.temporal for r in manifest.results])
    return StitchResult(output_uri=manifest.output_uri, facts=facts, temporal=temporal, sync=sync,
                        output_stat=store.stat(manifest.output_uri), seconds=time.perf_counter() - started)


def _sync(manifest: VideoManifest, source: str) -> dict:
    """The lip-sync figures (metrics/sync.py) from the chunks' lip motion and the source's sound."""
    if manifest.mouth.box is None:
        return {"sync_reason": f"no mouth: {manifest.mouth.reason}"}
    samples, audio_start = mono_samples(source)
    probe = manifest.probe
    motion_in = [m for r in manifest.results for m in r.motion_in]
    motion_out = [m for r in manifest.results for m in r.motion_out]
    return lip_sync(samples, SYNC_RATE, audio_start, probe.start_time, motion_in, float(probe.rate), motion_out,
                    float(manifest.options.output_rate(probe.rate)))


def _join(manifest: VideoManifest, dest_uri: str, lease: Lease) -> tuple[dict, dict]:
    probe = manifest.probe
    expected = sum(c.frames_out(manifest.options.exp) for c in manifest.chunks)
    ext = os.path.splitext(manifest.output_uri)[1]
    with scratch.clear_when_full(f"{manifest.output_uri}: stitching"), \
            scratch.source_copy(manifest.source_uri, manifest.source_stat) as source, \
            tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp, contextlib.ExitStack() as copies:
        segments = [copies.enter_context(store.local_copy(c.output_uri)) for c in manifest.chunks]
        local_out = os.path.join(tmp, "out" + ext)
        join_segments(segments, [c.first_output for c in manifest.chunks], manifest.options.output_rate(probe.rate),
                      probe.model_copy(update={"source": source}), local_out, expected)
        output, _ = probe_timeline(local_out, decode=False)
        facts = container_facts(output, "out", os.path.getsize(local_out))
        staging = layout.staging_uri(dest_uri, manifest.output_uri, ext)
        sync = _sync(manifest, source)
        store.upload_atomic(local_out, staging)
        ensure_held(dest_uri, lease)  # a run that lost the output to another publishes nothing
        store.move(staging, manifest.output_uri)
    return facts, sync
