"""A finished video's facts and its metrics row, assembled from its records without reading a frame.

Colour tags carry FFmpeg's names for the integers it stores (libavutil/pixdesc.c).
"""
from __future__ import annotations

import av

from rifeflow.manifests.records import VideoManifest, VideoProbe

MATRIX = {0: "gbr", 1: "bt709", 2: "unknown", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
          9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc", 13: "chroma-derived-c", 14: "ictcp"}
PRIMARIES = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
             9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
TRANSFER = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "linear",
            9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10",
            15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
RANGE = {0: "unknown", 1: "tv", 2: "pc"}


def color_name(table: dict[int, str], code: int | None) -> str | None:
    """The name of a tag's code; a code FFmpeg reserves or this table lacks reads as `reserved-N`."""
    return None if code is None else table.get(int(code), f"reserved-{int(code)}")


def container_facts(probe: VideoProbe, prefix: str, size_bytes: int) -> dict:
    audio_end = max((a.start_time + (a.duration or 0) for a in probe.audio), default=None)
    video_end = probe.start_time + probe.duration
    facts = {
        "codec": probe.codec, "width": probe.width, "height": probe.height, "bit_depth": probe.bit_depth,
        "pix_fmt": probe.pix_fmt, "color_matrix": color_name(MATRIX, probe.colorspace),
        "color_primaries": color_name(PRIMARIES, probe.color_primaries),
        "color_transfer": color_name(TRANSFER, probe.color_trc),
        "color_range": color_name(RANGE, probe.color_range),
        "frame_rate": float(probe.rate), "frame_rate_exact": probe.fps, "frames": probe.frames,
        "duration_s": probe.duration, "vfr": probe.vfr,
        "audio_streams": len(probe.audio), "audio_codecs": ",".join(a.codec for a in probe.audio),
        "av_diff_ms": None if audio_end is None else (audio_end - video_end) * 1000.0,
        "size_bytes": size_bytes,
    }
    return {f"{prefix}_{k}": v for k, v in facts.items()}


def mouth_metrics(manifest: VideoManifest, sync: dict) -> dict:
    """The mouth's figures: where it was found, how the model did there, how the new frames sit between
    their neighbours, and the lip-sync check; with the reason when there are none."""
    mouth = manifest.mouth
    sums = [r.inbetween for r in manifest.results]
    made = sum(s.frames for s in sums)
    row = {"mouth_checked": mouth.checked, "mouth_found": mouth.found, "mouth_faces_max": mouth.faces_max,
           "mouth_reason": mouth.reason, **{k: v for k, v in sync.items() if k != "sync_reason"},
           "sync_reason": sync.get("sync_reason"),
           "inbetween_luma_shift": sum(s.luma_shift_sum for s in sums) / made if made else None}
    if mouth.box is not None:
        row.update(zip(("mouth_x", "mouth_y", "mouth_w", "mouth_h"), mouth.box))
        row["mouth_inbetween_mad"] = sum(s.mouth_mad_sum for s in sums) / made if made else None
    return row


def video_metrics(manifest: VideoManifest, output_facts: dict, temporal: dict, sync: dict | None = None) -> dict:
    """Every metric of a finished video, from its manifest and its stitch's record."""
    source = manifest.probe
    heldout = manifest.heldout.model_dump(exclude={"seconds", "retries"}) if manifest.heldout else {"heldout_n": 0}
    row = {**heldout, **temporal, **container_facts(source, "in", manifest.source_stat.size), **output_facts,
           **mouth_metrics(manifest, sync or {})}
    cuts = sorted({i for r in manifest.results for i in r.scene_cut_pairs})
    row.update(scene_cuts=len(cuts), scene_cut_times_s=[source.start_time + (i + 1) / float(source.rate) for i in cuts],
               static_pairs=sum(r.static_pairs for r in manifest.results),
               device=next((r.device for r in manifest.results if r.device), ""))
    if row["in_av_diff_ms"] is not None and row.get("out_av_diff_ms") is not None:
        row["av_drift_ms"] = row["out_av_diff_ms"] - row["in_av_diff_ms"]
    row["metrics_s"] = manifest.heldout.seconds if manifest.heldout else 0.0
    return row


def provenance() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    try:
        project = version("rifeflow")
    except PackageNotFoundError:  # a checkout that was never installed
        project = "0+unknown"
    return {"project_version": project, "pyav_version": av.__version__,
            "ffmpeg_version": ".".join(str(x) for x in av.library_versions.get("libavcodec", ()))}
