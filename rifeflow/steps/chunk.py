"""Interpolate one stored chunk on a worker. Its result is stored beside its output, so reusing a
finished chunk (a resumed or overlapping run) reports the still pairs and scene cuts it really holds.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time
from fractions import Fraction

from rifeflow.manifests.records import ChunkResult, ChunkSpec, InterpolationOptions
from rifeflow.storage import layout, scratch, store
from rifeflow.video.chunks import read_chunk, write_chunk
from rifeflow.manifests.rates import bisection_tolerance
from rifeflow.engine.stream import PairStats, interpolate_stream, interpolate_timeline
from rifeflow.engine.runtime import MODEL_LOADS, load_interpolator
from rifeflow.threads import prefetch


def _output_frames(interp, frames, chunk: ChunkSpec, options: InterpolationOptions, batch_size: int,
                   stats: PairStats):
    if chunk.positions is None:
        return interpolate_stream(interp, frames, options.exp, options.mode, batch_size, stats,
                                  hold_last=chunk.final, scene_threshold=options.scene_threshold)
    times = [Fraction(t) for t in chunk.times]
    rate = Fraction(chunk.rate_out)

    def tolerance(index: int) -> Fraction:
        return bisection_tolerance(times[index + 1 - chunk.start] - times[index - chunk.start], rate)

    positions = [(i, Fraction(step)) for i, step in chunk.positions]
    return interpolate_timeline(interp, frames, positions, tolerance, batch_size, stats, first_index=chunk.start,
                                scene_threshold=options.scene_threshold)


def reused_result(chunk: ChunkSpec) -> ChunkResult | None:
    """The stored result of a chunk whose output exists, marked reused; None when it must run."""
    result_uri = layout.chunk_result_uri(chunk.output_uri)
    if not (store.exists(result_uri) and store.exists(chunk.output_uri)):
        return None
    stored = ChunkResult.model_validate(store.read_json(result_uri))
    return stored.model_copy(update={"index": chunk.index, "reused": True})


def interpolate_chunk(chunk: ChunkSpec, options: InterpolationOptions, weights: str | None,
                      batch_size: int = 1) -> ChunkResult:
    """Interpolate one stored chunk into its output key; an existing output is reused as is.

    batch_size 1 keeps every pair's result independent of how the video was chunked.
    """
    reused = reused_result(chunk)
    if reused is not None:
        return reused
    started = time.perf_counter()
    expected = chunk.frames_out(options.exp)
    interp, _ = load_interpolator(options.model, weights, None, options.scale, options.fp16, options.tta)
    stats = PairStats()
    with scratch.clear_when_full(f"chunk {chunk.index} ({chunk.input_uri})"), \
            store.local_copy(chunk.input_uri) as source, tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        out_path = os.path.join(tmp, "out.mkv")
        frames = prefetch(read_chunk(source), depth=4)
        written = write_chunk(out_path, _output_frames(interp, frames, chunk, options, batch_size, stats))
        if written != expected:
            raise RuntimeError(f"chunk {chunk.index}: wrote {written} frames, expected {expected}")
        store.upload_atomic(out_path, chunk.output_uri)
    result = ChunkResult(index=chunk.index, output_uri=chunk.output_uri, frames_out=expected,
                         seconds=time.perf_counter() - started, worker=socket.gethostname(), pid=os.getpid(),
                         model_loads=MODEL_LOADS["count"], device=str(interp.device), static_pairs=stats.static,
                         scene_cut_pairs=[chunk.start + i for i in stats.cut_indices])
    store.write_json_atomic(layout.chunk_result_uri(chunk.output_uri), result.model_dump(mode="json"))
    return result
