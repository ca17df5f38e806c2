"""The per-video metrics table: columns, types, units, meanings. Bump SCHEMA_VERSION on any change."""
from __future__ import annotations

import pyarrow as pa

from rifeflow.errors import ERROR_CATEGORIES

SCHEMA_VERSION = 5

_CONTAINER = [
    ("codec", pa.string(), "", "video codec"),
    ("width", pa.int32(), "px", "frame width"),
    ("height", pa.int32(), "px", "frame height"),
    ("bit_depth", pa.int32(), "bits", "bits per sample of the video stream"),
    ("pix_fmt", pa.string(), "", "pixel format"),
    ("color_matrix", pa.string(), "", "colour matrix, FFmpeg's name: bt709, smpte170m, bt470bg, bt2020nc, "
                                      "unknown (untagged), ..."),
    ("color_primaries", pa.string(), "", "colour primaries, FFmpeg's name: bt709, bt2020, unknown, ..."),
    ("color_transfer", pa.string(), "", "transfer characteristic, FFmpeg's name: bt709, smpte2084 (PQ), "
                                        "arib-std-b67 (HLG), unknown, ..."),
    ("color_range", pa.string(), "", "tv (limited), pc (full) or unknown"),
    ("frame_rate", pa.float64(), "frames/s", "frame rate of the video (nominal for a variable-rate source)"),
    ("frame_rate_exact", pa.string(), "frames/s", "the same as an exact rational, e.g. 30000/1001"),
    ("frames", pa.int64(), "frames", "frames on the constant-rate timeline"),
    ("duration_s", pa.float64(), "s", "video duration"),
    ("vfr", pa.bool_(), "", "variable frame rate detected"),
    ("audio_streams", pa.int32(), "", "number of audio streams"),
    ("audio_codecs", pa.string(), "", "audio codecs, comma separated"),
    ("av_diff_ms", pa.float64(), "ms", "end of the longest audio stream minus end of the video"),
    ("size_bytes", pa.int64(), "bytes", "file size"),
]

MOUTH_COLUMNS = [
    ("mouth_checked", pa.int32(), "frames", "frames of the video's first second looked at for a face"),
    ("mouth_found", pa.int32(), "frames", "of those, frames that showed a face (OpenCV's Haar cascades)"),
    ("mouth_faces_max", pa.int32(), "faces", "the most faces one checked frame showed (the largest is measured)"),
    ("mouth_reason", pa.string(), "", "why the mouth figures are empty (no face found, ...); null when measured"),
    ("mouth_x", pa.int32(), "px", "mouth box, left edge, on the source frame (a margin around the lips)"),
    ("mouth_y", pa.int32(), "px", "mouth box, top edge"),
    ("mouth_w", pa.int32(), "px", "mouth box width"),
    ("mouth_h", pa.int32(), "px", "mouth box height"),
    ("mouth_heldout_n", pa.int32(), "triplets", "held-out triplets measured inside the mouth box"),
    ("mouth_heldout_psnr_db", pa.float64(), "dB", "heldout_psnr_db inside the mouth box: a smeared or doubled "
                                                 "mouth shows here when the whole frame hardly moves"),
    ("mouth_heldout_ssim", pa.float64(), "", "heldout_ssim inside the mouth box"),
    ("mouth_baseline_psnr_db", pa.float64(), "dB", "baseline_psnr_db (average of the neighbours) inside the mouth box"),
    ("mouth_baseline_ssim", pa.float64(), "", "baseline_ssim inside the mouth box"),
    ("mouth_heldout_gain_db", pa.float64(), "dB", "mouth_heldout_psnr_db minus mouth_baseline_psnr_db"),
    ("mouth_inbetween_mad", pa.float64(), "levels", "mean absolute difference, inside the mouth box, of each "
                                                   "model-made frame from the average of its two source neighbours "
                                                   "(teeth that melt or lips that double raise it)"),
    ("sync_offset_in_ms", pa.float64(), "ms", "lip-sync check on the source: the picture's shift against the sound "
                                             "at which lip motion and loudness agree best (positive: picture late)"),
    ("sync_corr_in", pa.float64(), "", "the correlation at that shift (low: not much speech, the offset means "
                                      "little)"),
    ("sync_offset_out_ms", pa.float64(), "ms", "the same on the output"),
    ("sync_corr_out", pa.float64(), "", "the correlation at that shift, on the output"),
    ("sync_offset_change_ms", pa.float64(), "ms", "sync_offset_out_ms minus sync_offset_in_ms: what interpolation "
                                                 "did to the sync (0 kept it)"),
    ("sync_reason", pa.string(), "", "why the sync figures are empty (no audio, no mouth, too short)"),
]

COLUMNS: list[tuple[str, pa.DataType, str, str]] = [
    ("schema_version", pa.int32(), "", "version of this table's layout"),
    ("run_id", pa.string(), "", "Prefect flow run id of the catalog run"),
    ("run_attempt", pa.int32(), "", "attempt of the catalog run: 1, then 2 after a retry of the same run_id, ..."),
    ("run_started_at", pa.timestamp("us", tz="UTC"), "", "when this attempt of the catalog run started"),
    ("source_uri", pa.string(), "", "the source video"),
    ("source_sha256", pa.string(), "", "SHA-256 of the source bytes (empty if never read)"),
    ("output_uri", pa.string(), "", "the interpolated video"),
    ("video_key", pa.string(), "", "key of the video's manifest"),
    ("status", pa.string(), "", "done, skipped (finished in an earlier run) or failed"),
    ("error", pa.string(), "", "why the video failed"),
    ("error_kind", pa.string(), "", "permanent (the source or an option is bad: not tried again until the source changes) or transient"),
    ("error_category", pa.string(), "", "what failed, a stable name to group by: " + ", ".join(ERROR_CATEGORIES)),
    ("retries", pa.int32(), "", "transient faults retried for this video in this run (storage calls after backoff, task attempts)"),
    ("done_by_run_id", pa.string(), "", "the catalog run that published the output (for skipped rows: the earlier or overlapping run that did)"),
    ("redo_reason", pa.string(), "", "why a video an earlier run had done was done again (its output gone, or not "
                                     "the object that run published); null otherwise"),
    ("model", pa.string(), "", "IFNet weights name"),
    ("weights_sha256", pa.string(), "", "SHA-256 of the weights file"),
    ("exp", pa.int32(), "", "factor 2^exp"),
    ("scale", pa.float64(), "", "flow scale"),
    ("tta", pa.bool_(), "", "flip ensemble on"),
    ("mode", pa.string(), "", "chain or direct"),
    ("fp16", pa.bool_(), "", "half precision requested"),
    ("chunk_frames", pa.int32(), "frames", "frames per chunk"),
    ("encoder", pa.string(), "", "the encoder that wrote the output (libx264, libx265, libsvtav1, libvpx-vp9, prores_ks, "
                                 "ffv1, h264_nvenc, ...; a hardware one unusable on the workers is replaced by its "
                                 "software codec)"),
    ("encoder_crf", pa.int32(), "", "the encoder's quality number in its own scale (null for prores_ks and ffv1)"),
    ("encoder_preset", pa.string(), "", "the encoder's preset (a ProRes profile for prores_ks; null for ffv1)"),
    ("encoder_pix_fmt", pa.string(), "", "the pixel format the frames were encoded in"),
    ("project_version", pa.string(), "", "rifeflow version"),
    ("pyav_version", pa.string(), "", "PyAV version"),
    ("ffmpeg_version", pa.string(), "", "FFmpeg libavcodec version"),
    ("heldout_n", pa.int32(), "triplets", "held-out triplets measured"),
    ("heldout_psnr_db", pa.float64(), "dB", "model's middle frame from neighbours two frames apart vs the true frame"),
    ("heldout_ssim", pa.float64(), "", "same, SSIM (Gaussian window, sigma 1.5)"),
    ("baseline_psnr_db", pa.float64(), "dB", "average of the two neighbours vs the true frame"),
    ("baseline_ssim", pa.float64(), "", "same, SSIM"),
    ("heldout_gain_db", pa.float64(), "dB", "heldout_psnr_db minus baseline_psnr_db"),
    ("luma_change_mean", pa.float64(), "levels", "mean absolute luma change between consecutive output frames (motion)"),
    ("luma_flicker_mean", pa.float64(), "levels", "mean absolute second difference of that change (flicker)"),
    ("consecutive_psnr_db", pa.float64(), "dB", "mean PSNR between consecutive output frames"),
    ("seam_psnr_db", pa.float64(), "dB", "the same across chunk seams only (null with one chunk)"),
    ("seams", pa.int32(), "", "chunk seams in the output"),
    ("duplicate_frame_ratio", pa.float64(), "", "share of output frames identical to the one before (a held still source, or a variable-rate source gone wrong)"),
    ("inbetween_luma_shift", pa.float64(), "levels", "mean |mean luma of a model-made frame - the mean of its two "
                                                     "source neighbours'|: brightness flicker between source and new "
                                                     "frames (a colour path gone wrong shows here)"),
    *MOUTH_COLUMNS,
    ("scene_cuts", pa.int32(), "", "scene cuts found (not interpolated across)"),
    ("scene_cut_times_s", pa.list_(pa.float64()), "s", "source time of the first frame after each cut"),
    ("static_pairs", pa.int32(), "pairs", "identical neighbouring frames (not sent to the model)"),
    *[(f"in_{n}", t, u, f"source: {m}") for n, t, u, m in _CONTAINER],
    *[(f"out_{n}", t, u, f"output: {m}") for n, t, u, m in _CONTAINER],
    ("av_drift_ms", pa.float64(), "ms", "out_av_diff_ms minus in_av_diff_ms (sync kept: |drift| < one frame)"),
    ("prepare_s", pa.float64(), "s", "time to fetch, checksum, probe and split the source (one worker task)"),
    ("interpolate_s", pa.float64(), "s", "time from submitting the chunks until every chunk and the held-out check finished"),
    ("stitch_s", pa.float64(), "s", "time to encode, mux audio, gather the output's facts and publish"),
    ("metrics_s", pa.float64(), "s", "time of the held-out check, whole frame and mouth (on the workers, inside "
                                     "the chunks)"),
    ("total_s", pa.float64(), "s", "prepare_s + interpolate_s + stitch_s"),
    ("throughput_frames_per_s", pa.float64(), "frames/s", "processing speed: output frames made per second of "
                                                          "total_s (not the video's rate: see out_frame_rate)"),
    ("workers", pa.int32(), "", "Dask workers in the cluster"),
    ("device", pa.string(), "", "torch device the chunks ran on"),
]

SCHEMA = pa.schema([pa.field(name, dtype, metadata={"unit": unit, "description": meaning})
                    for name, dtype, unit, meaning in COLUMNS],
                   metadata={"rifeflow.schema_version": str(SCHEMA_VERSION)})


def markdown_table() -> str:
    lines = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    lines += [f"| `{n}` | {t} | {u} | {m} |" for n, t, u, m in COLUMNS]
    return "\n".join(lines)
