"""A video's first stage, on a worker: one read of the source for checksum, probe, chunks and held-out frames.

The probe takes frame times from packet timestamps (no decoding); the split, which decodes
every frame anyway, checks them against the decoded ones and starts over from a decoded
probe where they differ (VP9's hidden frames, say). Chunk keys include a fingerprint of the
timeline, so chunks written under a wrong timeline are never found again.
"""
from __future__ import annotations

import bisect
import os
import tempfile
import time

from rifeflow.manifests.planning import content_key, plan_chunk_ranges
from rifeflow.manifests.records import ChunkSpec, InterpolationOptions, PreparedVideo, SourceStat, VideoProbe
from rifeflow.storage import layout, scratch, store
from rifeflow.video.chunks import ChunkWriter
from rifeflow.errors import VideoError
from rifeflow.metrics.quality import heldout_indices
from rifeflow.threads import prefetch
from rifeflow.video.timeline import TimelinePlan, timeline_plan
from rifeflow.video.read import decode_frames, probe_timeline
from rifeflow.engine.weights import sha256_of

CHUNK_FORMAT = "ffv1-rgb-1"


class TimelineMismatch(Exception):
    """Decoded frame times differ from the packet timestamps the probe used."""


def plan_chunks(dest_uri: str, sha: str, probe: VideoProbe, times: list[float], options: InterpolationOptions,
                chunk_frames: int) -> list[ChunkSpec]:
    """Chunks of the timeline under content-addressed keys (source, timeline, range, depth, options).

    On a timeline (an output rate, or a variable-rate source) chunks hold the decoded frames
    themselves, each with the output frames it makes: boundaries fall on source frames, and every
    output frame belongs to the chunk of the source frame before it.
    """
    bits = probe.frame_bits
    timeline = content_key("timeline", times, probe.slot_sources)
    opts = options.identity()
    plan = timeline_plan(probe, times, options.output_rate(probe.rate)) if options.on_timeline(probe.vfr) else None
    decoded = ["decoded"] if plan is not None and probe.vfr else []  # not the constant-rate slots
    chunks = []
    for index, (start, stop, final) in enumerate(plan_chunk_ranges(len(times) if plan else probe.frames,
                                                                   chunk_frames)):
        frames_key = content_key(CHUNK_FORMAT, sha, timeline, start, stop, bits, *decoded)
        out_key = content_key(CHUNK_FORMAT, frames_key, opts, final)
        chunks.append(ChunkSpec(index=index, start=start, stop=stop, final=final,
                                input_uri=layout.chunk_uri(dest_uri, frames_key),
                                output_uri=layout.chunk_uri(dest_uri, out_key),
                                **(_on_timeline(plan, start, stop, final) if plan else {})))
    return chunks


def _on_timeline(plan: TimelinePlan, start: int, stop: int, final: bool) -> dict:
    first = bisect.bisect_left(plan.positions, start, key=lambda p: p[0])
    last = len(plan.positions) if final else bisect.bisect_left(plan.positions, stop - 1, key=lambda p: p[0])
    return dict(positions=[(i, str(step)) for i, step in plan.positions[first:last]],
                times=[str(t) for t in plan.times[start:stop]], rate_out=str(plan.rate))


def source_frames(probe: VideoProbe, options: InterpolationOptions) -> VideoProbe:
    """The probe whose frames the chunks hold: on a timeline, every decoded frame of a variable-rate source."""
    if options.on_timeline(probe.vfr) and probe.vfr:
        return probe.model_copy(update={"slot_sources": None, "frames": probe.frames_decoded})
    return probe


def prepare_video(source_uri: str, stat: SourceStat, dest_uri: str, options: InterpolationOptions,
                  chunk_frames: int, heldout_count: int) -> PreparedVideo:
    """Fetch the source once into this worker's scratch, then checksum, probe and split it."""
    started = time.perf_counter()
    with scratch.clear_when_full(f"{source_uri}: splitting"), scratch.source_copy(source_uri, stat) as path:
        sha = sha256_of(path)
        try:
            try:
                prepared = _split(path, sha, dest_uri, options, chunk_frames, heldout_count, decode_probe=False)
            except TimelineMismatch:
                prepared = _split(path, sha, dest_uri, options, chunk_frames, heldout_count, decode_probe=True)
        except VideoError as exc:  # name the source, not this worker's scratch copy of it
            raise VideoError(source_uri, exc.reason) from None
    return prepared.model_copy(update={"probe": prepared.probe.model_copy(update={"source": source_uri}),
                                       "seconds": time.perf_counter() - started})


def _split(path: str, sha: str, dest_uri: str, options: InterpolationOptions, chunk_frames: int,
           heldout_count: int, decode_probe: bool) -> PreparedVideo:
    probe, times = probe_timeline(path, decode=decode_probe)
    chunks = plan_chunks(dest_uri, sha, probe, times, options, chunk_frames)
    frames_of = source_frames(probe, options)
    middles = heldout_indices(frames_of.frames, heldout_count, frames_of.slot_sources)
    heldout_uri = None
    if middles:
        key = content_key("heldout", chunks[0].input_uri, middles)
        heldout_uri = layout.chunk_uri(dest_uri, key)
    missing = [c for c in chunks if not store.exists(c.input_uri)]
    triplets = sorted({j for i in middles for j in (i - 1, i, i + 1)})
    if heldout_uri is None or store.exists(heldout_uri):
        triplets = []
    if missing or triplets:
        decoded: list[float] = []
        frames = prefetch(decode_frames(frames_of, probe.frame_bits, decoded_times=decoded), depth=8)
        checked = _expected(times) if not decode_probe else None
        with tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
            _route_frames(frames, missing, triplets, heldout_uri, tmp, decoded, checked, path)
            if checked is not None and decoded != times:
                raise TimelineMismatch(f"{path}: {len(decoded)} decoded frames, {len(times)} packets")
    return PreparedVideo(source_sha256=sha, probe=probe, chunks=chunks, heldout_uri=heldout_uri,
                         heldout_middles=middles)


def _expected(times: list[float]):
    """A check that the frames decoded so far have the probe's times; raises at the first that does not."""
    state = {"seen": 0}

    def check(decoded: list[float]) -> None:
        for i in range(state["seen"], len(decoded)):
            if i >= len(times) or decoded[i] != times[i]:
                raise TimelineMismatch(f"decoded frame {i} at {decoded[i]} s, packet says "
                                       f"{times[i] if i < len(times) else 'no frame'}")
        state["seen"] = len(decoded)

    return check


def _route_frames(frames, chunks: list[ChunkSpec], triplets: list[int], heldout_uri: str | None, tmp: str,
                  decoded: list[float], check, source: str) -> None:
    """Send each timeline frame to the chunks that hold it and to the held-out file; upload what completes."""
    open_writers: dict[int, tuple[ChunkSpec, ChunkWriter]] = {}
    pending = sorted(chunks, key=lambda c: c.start)
    wanted = set(triplets)
    heldout = ChunkWriter(os.path.join(tmp, "heldout.mkv")) if triplets else None
    last_index = -1
    for index, frame in enumerate(frames):
        last_index = index
        if check is not None:
            check(decoded)
        while pending and pending[0].start == index:
            chunk = pending.pop(0)
            open_writers[chunk.index] = (chunk, ChunkWriter(os.path.join(tmp, f"{chunk.index}.mkv")))
        for key, (chunk, writer) in list(open_writers.items()):
            writer.write(frame)
            if index == chunk.stop - 1:
                writer.close()
                store.upload_atomic(writer.path, chunk.input_uri)
                os.remove(writer.path)
                del open_writers[key]
        if heldout is not None and index in wanted:
            heldout.write(frame)
            if index == triplets[-1]:
                heldout.close()
                store.upload_atomic(heldout.path, heldout_uri)
                heldout = None
    if open_writers or pending or heldout is not None:
        incomplete = sorted(open_writers) + [c.index for c in pending]
        raise VideoError(source, f"truncated: the stream ended after {last_index + 1} frames, before chunks "
                                 f"{incomplete} or the held-out frames were complete")
