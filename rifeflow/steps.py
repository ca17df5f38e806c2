"""The pipeline's units of work as plain functions: records and URIs in, records out.

Prefect tasks in tasks/ wrap these one to one; nothing here imports Prefect.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time

from manifests.config import CatalogConfig
from manifests.planning import content_key, plan_chunk_ranges, video_key
from manifests.records import ChunkResult, ChunkSpec, InterpolationOptions, VideoManifest
from rifeflow import layout, storage
from rifeflow.chunk_io import ChunkWriter, read_chunk, write_chunk
from rifeflow.engine import MODEL_LOADS, PairStats, configure_threads, interpolate_stream, load_interpolator
from rifeflow.threads import BackgroundSink, prefetch
from rifeflow.video_read import decode_frames, probe_video
from rifeflow.video_write import VideoWriter
from rifeflow.weights import sha256_of

CHUNK_FORMAT = "ffv1-rgb-1"


def load_manifest(dest_uri: str, video_key: str) -> VideoManifest | None:
    uri = layout.manifest_uri(dest_uri, video_key)
    return VideoManifest.model_validate(storage.read_json(uri)) if storage.exists(uri) else None


def save_manifest(dest_uri: str, manifest: VideoManifest) -> VideoManifest:
    storage.write_json_atomic(layout.manifest_uri(dest_uri, manifest.video_key), manifest.model_dump(mode="json"))
    return manifest


def start_video(source_uri: str, config: CatalogConfig, options: InterpolationOptions) -> tuple[VideoManifest, bool]:
    """The manifest to continue from, and whether the video is already done and unchanged."""
    key = video_key(source_uri, options.model_dump(), config.chunk_frames)
    stat = storage.stat(source_uri)
    existing = load_manifest(config.dest_uri, key)
    if existing is not None and existing.source_stat == stat:
        if existing.status == "done" and storage.exists(existing.output_uri):
            return existing, True
        if existing.status != "failed":
            return existing, False
    fresh = VideoManifest(
        video_key=key, source_uri=source_uri, source_stat=stat, options=options, chunk_frames=config.chunk_frames,
        output_uri=layout.output_uri(config.source_uri, config.dest_uri, source_uri),
    )
    return save_manifest(config.dest_uri, fresh), False


def _chunk_bit_depth(manifest: VideoManifest) -> int:
    return 16 if manifest.probe.bit_depth > 8 else 8


def probe_source(manifest: VideoManifest, dest_uri: str) -> VideoManifest:
    """Checksum and probe the source, and plan its chunks under content-addressed keys."""
    if manifest.probe is not None:
        return manifest
    with storage.local_copy(manifest.source_uri) as path:
        sha = sha256_of(path)
        probe = probe_video(path).model_copy(update={"source": manifest.source_uri})
    bits = 16 if probe.bit_depth > 8 else 8
    opts = manifest.options.model_dump()
    chunks = []
    for index, (start, stop, final) in enumerate(plan_chunk_ranges(probe.frames, manifest.chunk_frames)):
        frames_key = content_key(CHUNK_FORMAT, sha, start, stop, bits)
        out_key = content_key(CHUNK_FORMAT, frames_key, opts, final)
        chunks.append(ChunkSpec(index=index, start=start, stop=stop, final=final,
                                input_uri=layout.chunk_uri(dest_uri, frames_key),
                                output_uri=layout.chunk_uri(dest_uri, out_key)))
    return manifest.model_copy(update={"source_sha256": sha, "probe": probe, "chunks": chunks, "status": "probed"})


def split_video(manifest: VideoManifest) -> VideoManifest:
    """Decode the source once and store every missing chunk, lossless, at its key."""
    missing = {c.index for c in manifest.chunks if not storage.exists(c.input_uri)}
    if missing:
        with storage.local_copy(manifest.source_uri) as path, tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
            probe = manifest.probe.model_copy(update={"source": path})
            frames = prefetch(decode_frames(probe, _chunk_bit_depth(manifest)), depth=8)
            _write_chunks(frames, [c for c in manifest.chunks if c.index in missing], tmp)
    return manifest.model_copy(update={"status": "split"})


def _write_chunks(frames, chunks: list[ChunkSpec], tmp: str) -> None:
    open_writers: dict[int, tuple[ChunkSpec, ChunkWriter]] = {}
    pending = sorted(chunks, key=lambda c: c.start)
    for index, frame in enumerate(frames):
        while pending and pending[0].start == index:
            chunk = pending.pop(0)
            open_writers[chunk.index] = (chunk, ChunkWriter(os.path.join(tmp, f"{chunk.index}.mkv")))
        for key, (chunk, writer) in list(open_writers.items()):
            writer.write(frame)
            if index == chunk.stop - 1:
                writer.close()
                storage.upload_atomic(writer.path, chunk.input_uri)
                os.remove(writer.path)
                del open_writers[key]
    if open_writers or pending:
        raise RuntimeError(f"source ended before chunks {sorted(open_writers) + [c.index for c in pending]} were complete")


def interpolate_chunk(chunk: ChunkSpec, options: InterpolationOptions, weights: str | None,
                      torch_threads: int, batch_size: int = 1) -> ChunkResult:
    """Interpolate one stored chunk into its output key; an existing output is reused as is.

    batch_size 1 keeps every pair's result independent of how the video was chunked.
    """
    started = time.perf_counter()
    n = 2**options.exp
    frames_out = chunk.pairs * n + (n if chunk.final else 0)
    common = dict(index=chunk.index, output_uri=chunk.output_uri, frames_out=frames_out,
                  worker=socket.gethostname(), pid=os.getpid())
    if storage.exists(chunk.output_uri):
        return ChunkResult(**common, seconds=0.0, model_loads=MODEL_LOADS["count"], device="", static_pairs=0,
                           reused=True)
    configure_threads(max(1, torch_threads))
    interp, _ = load_interpolator(options.model, weights, None, options.scale, options.fp16, options.tta)
    stats = PairStats()
    with storage.local_copy(chunk.input_uri) as source, tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        out_path = os.path.join(tmp, "out.mkv")
        frames = prefetch(read_chunk(source), depth=4)
        written = write_chunk(out_path, interpolate_stream(interp, frames, options.exp, options.mode, batch_size,
                                                           stats, hold_last=chunk.final))
        if written != frames_out:
            raise RuntimeError(f"chunk {chunk.index}: wrote {written} frames, expected {frames_out}")
        storage.upload_atomic(out_path, chunk.output_uri)
    return ChunkResult(**common, seconds=time.perf_counter() - started, model_loads=MODEL_LOADS["count"],
                       device=str(interp.device), static_pairs=stats.static,
                       scene_cut_pairs=[chunk.start + i for i in stats.cut_indices])


def _chunk_frames(uris: list[str]):
    for uri in uris:
        with storage.local_copy(uri) as path:
            yield from read_chunk(path)


def stitch_video(manifest: VideoManifest, dest_uri: str, crf: int, preset: str) -> VideoManifest:
    """Encode the interpolated chunks in order, carry the source's audio, publish at the output key."""
    probe = manifest.probe
    ext = os.path.splitext(manifest.output_uri)[1]
    with storage.local_copy(manifest.source_uri) as source, tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        local_out = os.path.join(tmp, "out" + ext)
        writer = VideoWriter(local_out, probe.model_copy(update={"source": source}), probe.rate * 2**manifest.options.exp,
                             bit_depth=_chunk_bit_depth(manifest), crf=crf, preset=preset)
        try:
            sink = BackgroundSink(writer.write, depth=16)
            for frame in prefetch(_chunk_frames([c.output_uri for c in manifest.chunks]), depth=16):
                sink.put(frame)
            sink.close()
            writer.close()
        except BaseException:
            writer.abort()
            raise
        staging = layout.staging_uri(dest_uri, ext)
        storage.upload_atomic(local_out, staging)
        storage.move(staging, manifest.output_uri)
    return manifest.model_copy(update={"status": "done", "error": None})


def measure(manifest: VideoManifest, weights: str | None, heldout_frames: int) -> VideoManifest:
    """Compute the video's metrics from its source and its published output."""
    from rifeflow.video_metrics import measure_video

    with storage.local_copy(manifest.source_uri) as source, storage.local_copy(manifest.output_uri) as output:
        metrics = measure_video(manifest, source, output, weights, heldout_frames)
    return manifest.model_copy(update={"metrics": metrics})
