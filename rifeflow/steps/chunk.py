"""Interpolate one chunk on a worker: decode its frames from the source (this worker's scratch copy, from
the keyframe before them), run the model, encode the output as a segment in the final codec, and measure
on the way: the held-out triplets inside the chunk and the output's temporal statistics. Its result is
stored beside the segment, so reusing a finished chunk reports what it really holds.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time
from fractions import Fraction
from typing import Iterable, Iterator

import numpy as np

from rifeflow.engine.runtime import MODEL_LOADS, load_interpolator
from rifeflow.engine.stream import PairStats, interpolate_timeline, output_frames
from rifeflow.errors import InternalError, VideoError
from rifeflow.manifests.rates import bisection_tolerance
from rifeflow.manifests.records import (ChunkResult, ChunkSpec, EncoderSettings, InbetweenSums, InterpolationOptions,
                                        MouthPlan, SourceRef, VideoProbe)
from rifeflow.metrics.mouth import Box, InbetweenMeasures, motion
from rifeflow.metrics.quality import TemporalStats
from rifeflow.steps.heldout import HeldoutScorer, box_of
from rifeflow.storage import layout, scratch, store
from rifeflow.threads import prefetch
from rifeflow.video.read import decode_window
from rifeflow.video.segments import SegmentWriter
from rifeflow.video.write import encode_frames


class ChunkFrames:
    """The chunk's decoded frames: yields start..stop-1 to the model, hands every frame to the held-out
    scorer, measures the lips' motion on the source frames the chunk owns, and keeps the frames the seam
    needs (the last one given, and any decoded after it)."""

    def __init__(self, decoded: Iterable[tuple[int, np.ndarray]], chunk: ChunkSpec, scorer: HeldoutScorer,
                 mouth: Box | None):
        self.decoded, self.chunk, self.scorer, self.mouth = decoded, chunk, scorer, mouth
        self.kept: dict[int, np.ndarray] = {}
        self.motion: list[float | None] = []

    def __iter__(self) -> Iterator[np.ndarray]:
        owned = self.chunk.stop if self.chunk.final else self.chunk.stop - 1  # the overlap frame is the next's
        previous = None
        for index, frame in self.decoded:
            self.scorer.add(index, frame)
            if self.mouth is not None and self.chunk.start <= index < owned:
                self.motion.append(None if previous is None else round(motion(previous, frame, self.mouth), 4))
            previous = frame
            if index >= self.chunk.stop - 1:
                self.kept[index] = frame
            if self.chunk.start <= index < self.chunk.stop:
                yield frame


def _tolerance(chunk: ChunkSpec):
    times = [Fraction(t) for t in chunk.times]
    rate = Fraction(chunk.rate_out)
    return lambda i: bisection_tolerance(times[i + 1 - chunk.start] - times[i - chunk.start], rate)


def _output_frames(interp, frames, chunk: ChunkSpec, options: InterpolationOptions, batch_size: int,
                   stats: PairStats, observe):
    positions = None if chunk.positions is None else [(i, Fraction(step)) for i, step in chunk.positions]
    return output_frames(interp, frames, options.exp, options.mode, positions, positions and _tolerance(chunk),
                         batch_size, stats, scene_threshold=options.scene_threshold, hold_last=chunk.final,
                         first_index=chunk.start, observe=observe)


class OutputMeasures:
    """What is measured on each output frame as it goes to the encoder: the temporal statistics, and the
    lips' motion inside the mouth box."""

    def __init__(self, mouth: Box | None):
        self.temporal, self.mouth = TemporalStats(), mouth
        self.motion: list[float | None] = []
        self.previous = None

    def __call__(self, _count: int, frame: np.ndarray) -> None:
        self.temporal.add(frame)
        if self.mouth is not None:
            self.motion.append(None if self.previous is None else round(motion(self.previous, frame, self.mouth), 4))
        self.previous = frame


def _next_first(interp, chunk: ChunkSpec, kept: dict[int, np.ndarray], options: InterpolationOptions):
    """The next chunk's first output frame, made as that chunk makes it (None: the seam is not measured)."""
    if chunk.next_first is None:
        return None
    index, step = chunk.next_first[0], Fraction(chunk.next_first[1])
    if not step:
        return kept[index]
    made = interpolate_timeline(interp, [kept[index], kept[index + 1]], [(index, step)], _tolerance(chunk), 1,
                                PairStats(), first_index=index, scene_threshold=options.scene_threshold)
    return next(iter(made))


def reused_result(chunk: ChunkSpec) -> ChunkResult | None:
    """The stored result of a chunk whose segment exists, marked reused; None when it must run."""
    result_uri = layout.chunk_result_uri(chunk.output_uri)
    if not (store.exists(result_uri) and store.exists(chunk.output_uri)):
        return None
    stored = ChunkResult.model_validate(store.read_json(result_uri))
    return stored.model_copy(update={"index": chunk.index, "reused": True})


def interpolate_chunk(chunk: ChunkSpec, source: SourceRef, probe: VideoProbe, options: InterpolationOptions,
                      encoder: EncoderSettings, weights: str | None, mouth: MouthPlan | None = None,
                      batch_size: int = 1) -> ChunkResult:
    """Make one chunk's segment at its key; an existing segment is reused as it is.

    batch_size 1 keeps every pair's result independent of how the video was chunked.
    """
    reused = reused_result(chunk)
    if reused is not None:
        return reused
    started = time.perf_counter()
    expected = chunk.frames_out(options.exp)
    interp, _ = load_interpolator(options.model, weights, None, options.scale, options.fp16, options.tta,
                                  options.weights_sha256)
    box = box_of(mouth)
    stats, measured, between = PairStats(), OutputMeasures(box), InbetweenMeasures(box)
    scorer = HeldoutScorer(interp, chunk.heldout, options.mode, options.scene_threshold, box)
    with scratch.clear_when_full(f"chunk {chunk.index} of {source.uri}"), \
            scratch.source_copy(source.uri, source.stat) as path, tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        try:
            decoded = prefetch(decode_window(path, chunk.pts, chunk.seek_pts, probe.frame_bits, chunk.decode_start,
                                             keep_as=encoder.pix_fmt), depth=4)
            frames = ChunkFrames(decoded, chunk, scorer, box)
            segment = os.path.join(tmp, "segment" + os.path.splitext(chunk.output_uri)[1])
            writer = SegmentWriter(segment, encoder, probe, options.output_rate(probe.rate))
            made = _output_frames(interp, iter(frames), chunk, options, batch_size, stats, between.pair)
            written = encode_frames(writer, made, measured)
        except VideoError as exc:  # name the source, not this worker's scratch copy of it
            raise VideoError(source.uri, exc.reason) from None
        if written != expected:
            raise InternalError(f"{source.uri}: chunk {chunk.index} made {written} frames, its plan says {expected}")
        following = _next_first(interp, chunk, frames.kept, options)
        if following is not None:
            measured.temporal.add_seam(following)
        store.upload_atomic(segment, chunk.output_uri)
    result = ChunkResult(index=chunk.index, output_uri=chunk.output_uri, frames_out=expected,
                         seconds=time.perf_counter() - started, worker=socket.gethostname(), pid=os.getpid(),
                         model_loads=MODEL_LOADS["count"], device=str(interp.device), static_pairs=stats.static,
                         scene_cut_pairs=[chunk.start + i for i in stats.cut_indices],
                         temporal=measured.temporal.summary(), heldout=scorer.scores, heldout_seconds=scorer.seconds,
                         inbetween=InbetweenSums(frames=between.frames, luma_shift_sum=between.luma_shift_sum,
                                                 mouth_mad_sum=between.mouth_mad_sum),
                         motion_in=frames.motion, motion_out=measured.motion)
    store.write_json_atomic(layout.chunk_result_uri(chunk.output_uri), result.model_dump(mode="json"))
    return result
