"""Summaries of the metrics: the run's Prefect artifacts and `rifeflow report`."""
from __future__ import annotations

import os

import pandas as pd

from rifeflow.storage.layout import printable


def _name(uri: str) -> str:
    return os.path.basename(str(uri))


def _num(value, fmt: str) -> str:
    return "" if value is None or pd.isna(value) else format(value, fmt)


def artifact_table(rows: list[dict]) -> list[dict]:
    """One line per video for the Prefect UI."""
    return [{
        "video": _name(r["source_uri"]), "status": r["status"],
        "fps in -> out": f"{r.get('in_frame_rate_exact') or '?'} -> {r.get('out_frame_rate_exact') or '?'}",
        "held-out PSNR dB": _num(r.get("heldout_psnr_db"), ".2f"),
        "mouth PSNR dB": _num(r.get("mouth_heldout_psnr_db"), ".2f"),
        "gain over average dB": _num(r.get("heldout_gain_db"), "+.2f"),
        "seconds": _num(r.get("total_s"), ".1f"),
        "error": r.get("error") or "",
    } for r in rows]


def run_summary(outcomes) -> str:
    """One line for a run's final state: counts, and the failed videos by name."""
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("done", "skipped", "failed")}
    line = f"{len(outcomes)} videos: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
    failed = [printable(_name(o.source_uri)) for o in outcomes if o.status == "failed"]
    if failed:
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        line += f" ({', '.join(failed[:10])}{more})"
    retries = sum(o.retries for o in outcomes)
    if retries:
        line += f"; {retries} retries after transient faults"
    return line


def run_markdown(rows: list[dict], dest_uri: str) -> str:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("done", "skipped", "failed")}
    lines = [f"# rifeflow run: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed", "",
             f"Outputs and metrics under `{dest_uri}` (Parquet in `metrics/`)."]
    retries = sum(r.get("retries") or 0 for r in rows)
    if retries:
        lines += ["", f"{retries} storage calls or tasks were retried after transient faults (column `retries`)."]
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failed", ""] + [f"- `{r['source_uri']}`: {r['error']}" for r in failed]
        lines += ["", "Fix or remove these sources, then retry this run: finished chunks are kept."]
    return "\n".join(lines)


def failure_reason(error: str | None) -> str:
    """The reason part of an error ("path: reason (detail)") for grouping."""
    if not error:
        return "unknown"
    text = str(error).split(": ", 1)[-1]
    return text.split(" (")[0].strip()


def summary_dict(df: pd.DataFrame) -> dict:
    """What `rifeflow report` says, as plain values (`--json`)."""
    latest = df.sort_values("run_started_at").groupby("source_uri").tail(1)
    failed = latest[latest["status"] == "failed"]
    measured = latest.dropna(subset=["heldout_psnr_db"])
    done = df[(df["status"] == "done") & df["total_s"].notna()]
    heldout = None
    if len(measured):
        q = measured["heldout_psnr_db"].quantile([0, 0.1, 0.5, 0.9, 1]).round(2).tolist()
        heldout = {"videos": len(measured), "min": q[0], "p10": q[1], "median": q[2], "p90": q[3], "max": q[4],
                   "mean_gain_db": round(float(measured["heldout_gain_db"].mean()), 3)}
    return {
        **mouth_summary(latest),
        "videos": len(latest), "runs": int(df["run_id"].nunique()), "rows": len(df),
        "latest_status": {str(k): int(v) for k, v in latest["status"].value_counts().items()},
        "failures_by_category": {str(k): int(v) for k, v in
                                 failed["error_category"].fillna("unknown").value_counts().items()},
        "failures_by_reason": {str(k): int(v) for k, v in failed["error"].map(failure_reason).value_counts().items()},
        "heldout_psnr_db": heldout,
        "worst_by_heldout_psnr": [
            {"source_uri": r["source_uri"], "heldout_psnr_db": float(r["heldout_psnr_db"]),
             "baseline_psnr_db": float(r["baseline_psnr_db"]), "width": int(r["in_width"]),
             "height": int(r["in_height"])}
            for _, r in measured.nsmallest(10, "heldout_psnr_db").iterrows()],
        "throughput": None if not len(done) else {
            "output_frames_per_s": round(float(done["out_frames"].sum() / done["total_s"].sum()), 3),
            "videos": len(done), "seconds": round(float(done["total_s"].sum()), 1)},
    }


def mouth_summary(latest: pd.DataFrame) -> dict:
    """The mouth's figures over the latest rows: held-out PSNR inside the box against the whole frame's,
    the videos with no mouth by reason, and the videos whose lip sync interpolation moved."""
    ok = latest[latest["status"] != "failed"]
    measured = ok.dropna(subset=["mouth_heldout_psnr_db"])
    mouth = None
    if len(measured):
        q = measured["mouth_heldout_psnr_db"].quantile([0, 0.5, 1]).round(2).tolist()
        mouth = {"videos": len(measured), "min": q[0], "median": q[1], "max": q[2],
                 "mean_gain_db": round(float(measured["mouth_heldout_gain_db"].mean()), 3),
                 "mean_frame_db": round(float(measured["heldout_psnr_db"].mean()), 3),
                 "worst": [{"source_uri": r["source_uri"], "mouth_psnr_db": float(r["mouth_heldout_psnr_db"]),
                            "frame_psnr_db": float(r["heldout_psnr_db"])}
                           for _, r in measured.nsmallest(5, "mouth_heldout_psnr_db").iterrows()]}
    moved = ok[ok["sync_offset_change_ms"].abs() > 0].dropna(subset=["sync_offset_change_ms"])
    return {"mouth_psnr_db": mouth,
            "no_mouth": {str(k): int(v) for k, v in ok["mouth_reason"].dropna().value_counts().items()},
            "sync_moved": [{"source_uri": r["source_uri"], "change_ms": float(r["sync_offset_change_ms"])}
                           for _, r in moved.iterrows()]}


def _mouth_lines(s: dict) -> list[str]:
    lines = []
    if (m := s["mouth_psnr_db"]) is not None:
        lines += ["", f"Mouth (held-out PSNR inside the mouth box) over {m['videos']} videos: min {m['min']}, median "
                      f"{m['median']}, max {m['max']} dB (whole frame: mean {m['mean_frame_db']}); mean gain over "
                      f"the neighbour average there {m['mean_gain_db']:+.2f} dB", "Worst by the mouth:"]
        lines += [f"  {r['mouth_psnr_db']:6.2f} dB at the mouth ({r['frame_psnr_db']:6.2f} whole)  {r['source_uri']}"
                  for r in m["worst"]]
    for reason, count in s["no_mouth"].items():
        lines.append(f"No mouth measured in {count} videos: {reason}")
    for r in s["sync_moved"]:
        lines.append(f"Lip sync moved {r['change_ms']:+.0f} ms by interpolation: {r['source_uri']}")
    return lines


def summary_text(df: pd.DataFrame) -> str:
    s = summary_dict(df)
    lines = [f"{s['videos']} videos in {s['runs']} runs ({s['rows']} rows); latest status: "
             + ", ".join(f"{k} {v}" for k, v in s["latest_status"].items())]
    if s["failures_by_reason"]:
        lines += ["", "Failures by category: " + ", ".join(f"{k} {v}" for k, v in s["failures_by_category"].items()),
                  "Failures by reason:"]
        lines += [f"  {count:3d}  {reason}" for reason, count in s["failures_by_reason"].items()]
    if (q := s["heldout_psnr_db"]) is not None:
        lines += ["", f"Held-out PSNR (dB) over {q['videos']} videos: min {q['min']}, p10 {q['p10']}, median "
                      f"{q['median']}, p90 {q['p90']}, max {q['max']}; mean gain over neighbour average "
                      f"{q['mean_gain_db']:+.2f} dB",
                  "", "Worst 10 by held-out PSNR:"]
        lines += [f"  {r['heldout_psnr_db']:6.2f} dB  (average {r['baseline_psnr_db']:6.2f})  "
                  f"{r['width']}x{r['height']}  {r['source_uri']}" for r in s["worst_by_heldout_psnr"]]
    lines += _mouth_lines(s)
    if (t := s["throughput"]) is not None:
        lines += ["", f"Throughput: {t['output_frames_per_s']:.2f} output frames/s over {t['videos']} processed "
                      f"videos ({t['seconds']:.0f} s)"]
    return "\n".join(lines)


def plot(df: pd.DataFrame, path: str) -> str:
    """PSNR distribution (model vs neighbour average) and per-video throughput, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latest = df.sort_values("run_started_at").groupby("source_uri").tail(1)
    measured = latest.dropna(subset=["heldout_psnr_db"])
    done = df[(df["status"] == "done") & df["throughput_frames_per_s"].notna()].sort_values("throughput_frames_per_s")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), constrained_layout=True)
    if len(measured):
        values = pd.concat([measured["heldout_psnr_db"], measured["baseline_psnr_db"]])
        bins = max(5, min(30, len(measured) * 2))
        edges = pd.Series(values).pipe(lambda v: __import__("numpy").linspace(v.min() - 0.5, v.max() + 0.5, bins))
        left.hist(measured["baseline_psnr_db"], bins=edges, alpha=0.6, label="average of neighbours", color="#999999")
        left.hist(measured["heldout_psnr_db"], bins=edges, alpha=0.8, label="rifeflow (IFNet)", color="#1f77b4")
        left.axvline(measured["heldout_psnr_db"].median(), color="#1f77b4", linestyle="--", linewidth=1,
                     label=f"median {measured['heldout_psnr_db'].median():.2f} dB")
        left.legend()
    left.set(title=f"Held-out PSNR, {len(measured)} videos", xlabel="PSNR against the true frame (dB)",
             ylabel="videos")
    if len(done):
        labels = [_name(u) for u in done["source_uri"]]
        right.barh(range(len(done)), done["throughput_frames_per_s"], color="#2ca02c")
        right.set_yticks(range(len(done)), labels, fontsize=8)
    right.set(title="Throughput per processed video", xlabel="output frames per second (all stages)")
    fig.suptitle("rifeflow quality report")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
