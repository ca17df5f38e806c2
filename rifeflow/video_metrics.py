"""Per-video metrics: held-out quality, container facts, and a finished video's row from its records.

Held-out frames are scored on a worker (the model runs there); the flow assembles the row from
records alone, without reading a frame.
"""
from __future__ import annotations

import time
from typing import Iterable

import av
import numpy as np

from rifeflow.manifests.records import HeldoutResult, InterpolationOptions, VideoManifest, VideoProbe
from rifeflow import __version__, color_names, storage
from rifeflow.quality import heldout_indices, neighbour_average, psnr, ssim


def score_triplets(triplets: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], options: InterpolationOptions,
                   weights: str | None) -> dict:
    """The model's middle frame of each (before, truth, after) against the truth, beside averaging."""
    from rife_kernels import inbetweens
    from rifeflow.engine import load_interpolator, to_arrays, to_tensor

    o = options
    interp, _ = load_interpolator(o.model, weights, None, o.scale, o.fp16, o.tta)
    model, base = [], []
    for a, truth, b in triplets:
        if np.array_equal(a, b):
            continue  # a still triplet says nothing about interpolation
        mids, _, _ = inbetweens(interp, *to_tensor([a, b], interp.device).split(1), exp=1, mode=o.mode)
        guess = to_arrays(mids[0, 0], a.dtype)
        avg = neighbour_average(a, b)
        model.append((psnr(truth, guess), ssim(truth, guess)))
        base.append((psnr(truth, avg), ssim(truth, avg)))
    if not model:
        return {"heldout_n": 0}
    (m_psnr, m_ssim), (b_psnr, b_ssim) = np.mean(model, 0), np.mean(base, 0)
    return {"heldout_n": len(model), "heldout_psnr_db": float(m_psnr), "heldout_ssim": float(m_ssim),
            "baseline_psnr_db": float(b_psnr), "baseline_ssim": float(b_ssim),
            "heldout_gain_db": float(m_psnr - b_psnr)}


def _triplets(frames: dict[int, np.ndarray], middles: list[int]):
    for i in middles:
        yield frames[i - 1], frames[i], frames[i + 1]


def heldout_quality(probe: VideoProbe, options: InterpolationOptions, weights: str | None, count: int) -> dict:
    """Held-out quality of a local video file, decoding the frames it needs."""
    from rifeflow.video_read import decode_frames

    middles = heldout_indices(probe.frames, count, probe.slot_sources)
    if not middles:
        return {"heldout_n": 0}
    needed = {j for i in middles for j in (i - 1, i, i + 1)}
    bits = 16 if probe.bit_depth > 8 else 8
    frames = {i: f for i, f in enumerate(decode_frames(probe, bits, 0, max(needed) + 1)) if i in needed}
    return score_triplets(_triplets(frames, middles), options, weights)


def measure_heldout(heldout_uri: str, middles: list[int], options: InterpolationOptions,
                    weights: str | None) -> HeldoutResult:
    """Held-out quality from the triplet frames the split stored (frames in index order)."""
    from rifeflow.chunk_io import read_chunk

    started = time.perf_counter()
    needed = sorted({j for i in middles for j in (i - 1, i, i + 1)})
    with storage.local_copy(heldout_uri) as path:
        frames = dict(zip(needed, read_chunk(path)))
    scores = score_triplets(_triplets(frames, middles), options, weights)
    return HeldoutResult(**scores, seconds=time.perf_counter() - started)


def container_facts(probe: VideoProbe, prefix: str, size_bytes: int) -> dict:
    audio_end = max((a.start_time + (a.duration or 0) for a in probe.audio), default=None)
    video_end = probe.start_time + probe.duration
    facts = {
        "codec": probe.codec, "width": probe.width, "height": probe.height, "bit_depth": probe.bit_depth,
        "pix_fmt": probe.pix_fmt, "color_matrix": color_names.name(color_names.MATRIX, probe.colorspace),
        "color_primaries": color_names.name(color_names.PRIMARIES, probe.color_primaries),
        "color_transfer": color_names.name(color_names.TRANSFER, probe.color_trc),
        "color_range": color_names.name(color_names.RANGE, probe.color_range),
        "frame_rate": float(probe.rate), "frame_rate_exact": probe.fps, "frames": probe.frames,
        "duration_s": probe.duration, "vfr": probe.vfr,
        "audio_streams": len(probe.audio), "audio_codecs": ",".join(a.codec for a in probe.audio),
        "av_diff_ms": None if audio_end is None else (audio_end - video_end) * 1000.0,
        "size_bytes": size_bytes,
    }
    return {f"{prefix}_{k}": v for k, v in facts.items()}


def video_metrics(manifest: VideoManifest, output_facts: dict, temporal: dict) -> dict:
    """Every metric of a finished video, from its manifest and its stitch's record."""
    source = manifest.probe
    heldout = manifest.heldout.model_dump(exclude={"seconds", "retries"}) if manifest.heldout else {"heldout_n": 0}
    row = {**heldout, **temporal, **container_facts(source, "in", manifest.source_stat.size), **output_facts}
    cuts = sorted({i for r in manifest.results for i in r.scene_cut_pairs})
    row.update(scene_cuts=len(cuts), scene_cut_times_s=[source.start_time + (i + 1) / float(source.rate) for i in cuts],
               static_pairs=sum(r.static_pairs for r in manifest.results),
               device=next((r.device for r in manifest.results if r.device), ""))
    if row["in_av_diff_ms"] is not None and row.get("out_av_diff_ms") is not None:
        row["av_drift_ms"] = row["out_av_diff_ms"] - row["in_av_diff_ms"]
    row["metrics_s"] = manifest.heldout.seconds if manifest.heldout else 0.0
    return row


def provenance() -> dict:
    return {"project_version": __version__, "pyav_version": av.__version__,
            "ffmpeg_version": ".".join(str(x) for x in av.library_versions.get("libavcodec", ()))}
