"""A video's first stage, on a worker: fetch the source once, checksum it, index its frames and plan its
chunks. Nothing is decoded unless the container's timestamps cannot be trusted, and nothing is encoded:
each chunk's worker decodes its own frames straight from the source (rifeflow/steps/chunk.py).

Chunk keys hold the source's checksum, its timeline, the frame range, the interpolation options and the
encoder settings, so a finished segment is found again by any later run that would make the same bytes.
"""
from __future__ import annotations

import bisect
import time
from fractions import Fraction

from rifeflow.errors import VideoError
from rifeflow.manifests.planning import content_key, plan_chunk_ranges
from rifeflow.manifests.records import (ChunkSpec, EncoderSettings, InterpolationOptions, PreparedVideo, SourceStat,
                                        VideoProbe)
from rifeflow.metrics.quality import heldout_indices
from rifeflow.steps.heldout import find_mouth
from rifeflow.storage import layout, scratch
from rifeflow.engine.weights import sha256_of
from rifeflow.video.encode import pixel_format
from rifeflow.video.read import FrameIndex, index_frames
from rifeflow.video.segments import segment_format
from rifeflow.video.timeline import TimelinePlan, timeline_plan

SEGMENT_FORMAT = "segment-1"


def prepare_video(source_uri: str, stat: SourceStat, dest_uri: str, options: InterpolationOptions,
                  encoding: dict, chunk_frames: int, heldout_count: int) -> PreparedVideo:
    """Fetch the source once into this worker's scratch, then checksum, index and plan it.

    `encoding` is the run's resolved codec, crf and preset; the pixel format is chosen here, for this source.
    """
    started = time.perf_counter()
    with scratch.clear_when_full(f"{source_uri}: preparing"), scratch.source_copy(source_uri, stat) as path:
        sha = sha256_of(path)
        try:
            probe, times, index = index_frames(path)
            encoder = EncoderSettings(**encoding, pix_fmt=pixel_format(encoding["codec"], probe.frame_bits,
                                                                      probe.width, probe.height, encoding["preset"]))
            mouth = find_mouth(path, index, probe.frame_bits)
        except VideoError as exc:  # name the source, not this worker's scratch copy of it
            raise VideoError(source_uri, exc.reason) from None
    probe = probe.model_copy(update={"source": source_uri})
    plan = timeline_plan(probe, times, options.output_rate(probe.rate)) if options.on_timeline(probe.vfr) else None
    middles = heldout_indices(len(times), heldout_count)
    chunks = plan_chunks(dest_uri, sha, probe, times, index, plan, options, encoder, chunk_frames, middles, mouth.box)
    return PreparedVideo(source_sha256=sha, probe=probe, encoder=encoder, chunks=chunks, heldout_middles=middles,
                         mouth=mouth, seconds=time.perf_counter() - started)


def plan_chunks(dest_uri: str, sha: str, probe: VideoProbe, times: list[float], index: FrameIndex,
                plan: TimelinePlan | None, options: InterpolationOptions, encoder: EncoderSettings,
                chunk_frames: int, middles: list[int], mouth: tuple | None = None) -> list[ChunkSpec]:
    """Chunks of the decoded frames, each with what its worker decodes, scores and encodes.

    On a timeline (an output rate, or a variable-rate source) each chunk carries the output frames it
    makes: boundaries fall on source frames, and every output frame belongs to the chunk of the source
    frame before it. Elsewhere a chunk makes 2^exp frames per pair.
    """
    timeline = content_key("timeline", times, probe.slot_sources)
    decoded = ["decoded"] if plan is not None and probe.vfr else []
    ext = "." + segment_format(encoder.codec)
    chunks, first_output = [], 0
    for number, (start, stop, final) in enumerate(plan_chunk_ranges(len(times), chunk_frames)):
        heldout = [m for m in middles if start <= m < stop - 1]  # the pair (m - 1, m + 1) is this chunk's
        decode_start = min([start] + [m - 1 for m in heldout])
        timed = _on_timeline(plan, start, stop, final) if plan else {}
        after = timed.pop("next_position", None)
        next_first = None if final else _next_first(plan, after, stop)
        decode_stop = stop if next_first is None else max(stop, next_first[0] + (2 if Fraction(next_first[1]) else 1))
        if plan is not None:
            timed["times"] = [str(t) for t in plan.times[start:decode_stop]]
        frames_key = content_key(SEGMENT_FORMAT, sha, timeline, start, stop, probe.frame_bits, *decoded)
        out_key = content_key(SEGMENT_FORMAT, frames_key, options.identity(), final, encoder.model_dump(), heldout,
                              next_first, mouth)
        spec = ChunkSpec(index=number, start=start, stop=stop, final=final, first_output=first_output,
                         output_uri=layout.segment_uri(dest_uri, out_key, ext), decode_start=decode_start,
                         pts=index.pts[decode_start:decode_stop], seek_pts=index.seek_point(decode_start),
                         heldout=heldout, next_first=next_first, **timed)
        first_output += spec.frames_out(options.exp)
        chunks.append(spec)
    return chunks


def _on_timeline(plan: TimelinePlan, start: int, stop: int, final: bool) -> dict:
    first = bisect.bisect_left(plan.positions, start, key=lambda p: p[0])
    last = len(plan.positions) if final else bisect.bisect_left(plan.positions, stop - 1, key=lambda p: p[0])
    return dict(positions=[(i, str(step)) for i, step in plan.positions[first:last]], rate_out=str(plan.rate),
                next_position=last)


def _next_first(plan: TimelinePlan | None, after: int | None, stop: int) -> tuple[int, str] | None:
    """The output frame after a chunk's last: the overlap frame itself on 2^exp; on a timeline, the next
    position, when it lies between the overlap frame and the one after it (else the seam is not measured)."""
    if plan is None:
        return stop - 1, "0"
    if after >= len(plan.positions):
        return None
    i, step = plan.positions[after]
    return (i, str(step)) if i == stop - 1 else None
