"""Digest of every decoded video frame and audio packet of the given files, and of a DEST folder's outputs and
metrics columns (bench/same_results.sh compares two checkouts with it)."""
import glob
import hashlib
import json
import os
import sys

import av
import pyarrow.dataset as ds


def digest(path: str) -> dict:
    h, n = hashlib.sha256(), 0
    with av.open(path) as c:
        for f in c.decode(video=0):
            h.update(f.to_ndarray(format="rgb24").tobytes())
            n += 1
    a, m = hashlib.sha256(), 0
    with av.open(path) as c:
        if c.streams.audio:
            for p in c.demux(audio=0):
                if p.dts is not None:
                    a.update(bytes(p))
                    m += 1
    return {"frames": n, "video": h.hexdigest()[:16], "audio_packets": m, "audio": a.hexdigest()[:16]}


out = {}
for path in sys.argv[1:]:
    if os.path.isdir(path):
        for f in sorted(glob.glob(os.path.join(path, "**", "*.mp4"), recursive=True)):
            if "/.rifeflow/" not in f:
                out[os.path.relpath(f, path)] = digest(f)
        t = ds.dataset(os.path.join(path, "metrics"), format="parquet", partitioning="hive").to_table().to_pandas()
        cols = ["source_uri", "status", "heldout_n", "heldout_psnr_db", "heldout_ssim", "baseline_psnr_db", "out_frames",
                "out_frame_rate_exact", "av_drift_ms", "scene_cuts", "static_pairs", "seam_psnr_min_db"]
        cols = [c for c in cols if c in t.columns]
        t["source_uri"] = t["source_uri"].map(os.path.basename)
        out["metrics"] = t[cols].sort_values("source_uri").round(6).to_dict("records")
    else:
        out[os.path.basename(path)] = digest(path)
print(json.dumps(out, indent=1, sort_keys=True, default=str))
