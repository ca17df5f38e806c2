"""Per-video metrics: held-out quality, temporal smoothness, container facts, cost, provenance."""
from __future__ import annotations

import os
import time

import av
import numpy as np

from manifests.records import VideoManifest, VideoProbe
from rife_kernels import inbetweens
from rifeflow import __version__
from rifeflow.engine import load_interpolator, to_arrays, to_tensor
from rifeflow.quality import TemporalStats, heldout_indices, neighbour_average, psnr, ssim
from rifeflow.video_read import decode_frames, probe_video


def heldout_quality(probe: VideoProbe, manifest_options, weights: str | None, count: int) -> dict:
    """Interpolate K true frames from their neighbours; compare with the truth and with averaging."""
    middles = heldout_indices(probe.frames, count, probe.slot_sources)
    if not middles:
        return {"heldout_n": 0}
    needed = {j for i in middles for j in (i - 1, i, i + 1)}
    bits = 16 if probe.bit_depth > 8 else 8
    frames = {i: f for i, f in enumerate(decode_frames(probe, bits, 0, max(needed) + 1)) if i in needed}
    o = manifest_options
    interp, _ = load_interpolator(o.model, weights, None, o.scale, o.fp16, o.tta)
    model, base = [], []
    for i in middles:
        a, truth, b = frames[i - 1], frames[i], frames[i + 1]
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


def temporal_quality(output: VideoProbe, seam_frames: set[int]) -> dict:
    stats = TemporalStats()
    bits = 16 if output.bit_depth > 8 else 8
    for index, frame in enumerate(decode_frames(output, bits)):
        stats.add(frame, at_seam=index in seam_frames)
    return stats.summary()


def container_facts(probe: VideoProbe, prefix: str, path: str) -> dict:
    audio_end = max((a.start_time + (a.duration or 0) for a in probe.audio), default=None)
    video_end = probe.start_time + probe.duration
    facts = {
        "codec": probe.codec, "width": probe.width, "height": probe.height, "bit_depth": probe.bit_depth,
        "pix_fmt": probe.pix_fmt, "colorspace": probe.colorspace, "fps": probe.fps,
        "fps_float": float(probe.rate), "frames": probe.frames, "duration_s": probe.duration, "vfr": probe.vfr,
        "audio_streams": len(probe.audio), "audio_codecs": ",".join(a.codec for a in probe.audio),
        "av_diff_ms": None if audio_end is None else (audio_end - video_end) * 1000.0,
        "size_bytes": os.path.getsize(path),
    }
    return {f"{prefix}_{k}": v for k, v in facts.items()}


def measure_video(manifest: VideoManifest, source_path: str, output_path: str, weights: str | None,
                  heldout_frames: int) -> dict:
    """Every metric of a finished video, from local copies of its source and output."""
    started = time.perf_counter()
    source = manifest.probe.model_copy(update={"source": source_path})
    output = probe_video(output_path)
    n = 2**manifest.options.exp
    seams = {c.start * n for c in manifest.chunks[1:]}
    row = {**heldout_quality(source, manifest.options, weights, heldout_frames), **temporal_quality(output, seams),
           **container_facts(source, "in", source_path), **container_facts(output, "out", output_path)}
    cuts = sorted({i for r in manifest.results for i in r.scene_cut_pairs})
    row.update(scene_cuts=len(cuts), scene_cut_times_s=[source.start_time + (i + 1) / float(source.rate) for i in cuts],
               static_pairs=sum(r.static_pairs for r in manifest.results),
               device=next((r.device for r in manifest.results if r.device), ""))
    if row["in_av_diff_ms"] is not None and row["out_av_diff_ms"] is not None:
        row["av_drift_ms"] = row["out_av_diff_ms"] - row["in_av_diff_ms"]
    row["metrics_s"] = time.perf_counter() - started
    return row


def provenance() -> dict:
    return {"project_version": __version__, "pyav_version": av.__version__,
            "ffmpeg_version": ".".join(str(x) for x in av.library_versions.get("libavcodec", ()))}
