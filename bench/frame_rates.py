"""Frame rates on real footage: held-out quality off the midpoint, variable-rate duplicates, scene cuts.
Prints markdown tables (also bench/out/frame_rates.md).

    .venv/bin/python bench/frame_rates.py [--triplets 12] [--only steps,vfr,cuts]

steps: keep every third frame of a real clip, rebuild the two dropped ones at t = 1/3 and 2/3 from
their kept neighbours (rife-hdv3 by bisection, rife-4.25 directly) and compare with the dropped frames,
beside the blend of the neighbours weighted by t. vfr: on the variable-rate clips, the share of output
frames identical to the one before with the old constant-rate slots then 2x, and now (true times).
cuts: rifeflow's detector (32x32 thumbnail SSIM under 0.2) against FFmpeg's `scdet` filter (threshold
10) on real footage with cuts: the frames each calls the first of a new shot, and their agreement.
"""
from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, run_header, shared_clip  # noqa: E402

from rife_kernels.schedule import SCENE_CUT_SSIM, at_timesteps, thumbnail_ssim  # noqa: E402
from rifeflow.engine.stream import PairStats, counting_repeats, interpolate_stream  # noqa: E402
from rifeflow.engine.runtime import load_interpolator, to_arrays, to_tensor  # noqa: E402
from rifeflow.metrics.quality import psnr  # noqa: E402
from rifeflow.video.read import decode_frames, probe_video  # noqa: E402

STEP_CLIPS = ["WDA_KatieHill_000.mp4", "retalking_face_2.mp4", "dog_eating_854132.mp4"]
VFR_CLIPS = ["retalking_face_1.mp4", "exo_hdr10_10bit_1080p.mp4"]
CUT_CLIPS = ["moviepy_test_video_gannets.mp4", "nasa_13013.mp4"]


def steps(count: int) -> list[dict]:
    rows = []
    for model in ("rife-hdv3", "rife-4.25"):
        interp, _ = load_interpolator(model, None, None, 1.0, False, False)
        for name in STEP_CLIPS:
            probe = probe_video(str(shared_clip(name)))
            frames = list(decode_frames(probe, 8, 0, min(probe.frames, 3 * count + 1)))
            scores = {"1/3": [], "2/3": [], "blend 1/3": [], "blend 2/3": []}
            for i in range(0, len(frames) - 3, 3):
                a, b = to_tensor([frames[i]], interp.device), to_tensor([frames[i + 3]], interp.device)
                made = to_arrays(at_timesteps(interp, a, b, [Fraction(1, 3), Fraction(2, 3)], Fraction(1, 64)),
                                 np.uint8)
                for j, label in ((1, "1/3"), (2, "2/3")):
                    truth = frames[i + j]
                    blend = (frames[i].astype(float) * (3 - j) + frames[i + 3].astype(float) * j) / 3
                    scores[label].append(psnr(truth, made[j - 1]))
                    scores[f"blend {label}"].append(psnr(truth, blend.round().astype(np.uint8)))
            rows.append(dict(model=model, clip=name, n=len(scores["1/3"]),
                             **{k: float(np.mean(v)) for k, v in scores.items()}))
            print(f"  steps {rows[-1]}", flush=True)
    return rows


def vfr() -> list[dict]:
    from rifeflow import interpolate_video

    interp, _ = load_interpolator("rife-hdv3", None, None, 1.0, False, False)
    rows = []
    for name in VFR_CLIPS:
        path = str(shared_clip(name))
        probe = probe_video(path)
        before = PairStats()
        list(counting_repeats(interpolate_stream(interp, decode_frames(probe, 8), 1, batch_size=1), before))
        out = OUT / f"vfr-{Path(name).stem}.mp4"
        now = interpolate_video(path, out, exp=1, preset="veryfast", eight_bit=True)
        rows.append(dict(clip=name, frames=probe.frames_decoded, slots=probe.frames, fps=probe.fps,
                         before=before.duplicate_ratio, now=now.duplicate_frame_ratio, out_frames=now.frames_out))
        print(f"  vfr {rows[-1]}", flush=True)
    return rows


def _scdet_cuts(path: str, threshold: float = 10.0) -> list[int]:
    """Frame indices FFmpeg's scdet marks as the first frame of a new scene."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        graph = av.filter.Graph()
        src = graph.add_buffer(template=stream)
        scdet = graph.add("scdet", f"threshold={threshold}:sc_pass=1")
        sink = graph.add("buffersink")
        src.link_to(scdet)
        scdet.link_to(sink)
        graph.configure()
        pts_index, cuts = {}, []
        for index, frame in enumerate(container.decode(stream)):
            pts_index[frame.pts] = index
            graph.push(frame)
            while True:
                try:
                    cuts.append(pts_index[graph.pull().pts])
                except (av.BlockingIOError, av.EOFError):
                    break
    return sorted(set(cuts))


def _our_cuts(path: str) -> list[int]:
    probe = probe_video(path)
    frames = list(decode_frames(probe, 8))
    cuts = []
    for i in range(1, len(frames)):
        pair = to_tensor([frames[i - 1], frames[i]], torch.device("cpu"))
        if float(thumbnail_ssim(pair[:1], pair[1:])) < SCENE_CUT_SSIM:
            cuts.append(i)
    return cuts


def cuts() -> list[dict]:
    rows = []
    for name in CUT_CLIPS:
        path = str(shared_clip(name))
        ours, theirs = _our_cuts(path), _scdet_cuts(path)
        near = lambda a, bs: any(abs(a - b) <= 1 for b in bs)  # noqa: E731  a frame either side
        agree = sum(near(c, theirs) for c in ours)
        rows.append(dict(clip=name, ours=ours, scdet=theirs, agree=agree,
                         precision=agree / len(ours) if ours else None,
                         recall=sum(near(c, ours) for c in theirs) / len(theirs) if theirs else None))
        print(f"  cuts {rows[-1]}", flush=True)
    return rows


def tables(results: dict, command: str) -> str:
    lines = [run_header(command), ""]
    if "steps" in results:
        lines += ["### Off the midpoint: every third frame kept, the two between rebuilt (PSNR dB)", "",
                  "| model | clip | pairs | t = 1/3 | blend | t = 2/3 | blend |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['model']} | {r['clip']} | {r['n']} | {r['1/3']:.2f} | {r['blend 1/3']:.2f} | "
                  f"{r['2/3']:.2f} | {r['blend 2/3']:.2f} |" for r in results["steps"]]
        lines.append("")
    if "vfr" in results:
        lines += ["### Variable-rate sources at 2x: output frames identical to the one before", "",
                  "| clip | decoded frames | nominal fps | slots | before (slots, then 2x) | now (true times) |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['clip']} | {r['frames']} | {r['fps']} | {r['slots']} | {r['before']:.1%} | {r['now']:.1%} |"
                  for r in results["vfr"]]
        lines.append("")
    if "cuts" in results:
        lines += ["### Scene cuts: rifeflow's detector against FFmpeg's scdet (within one frame)", "",
                  "| clip | rifeflow (frame indices) | scdet | agree | precision | recall |", "|---|---|---|---|---|---|"]
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines += [f"| {r['clip']} | {r['ours']} | {r['scdet']} | {r['agree']} | {fmt(r['precision'])} | "
                  f"{fmt(r['recall'])} |" for r in results["cuts"]]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triplets", type=int, default=12, help="dropped pairs per clip")
    parser.add_argument("--only", default="steps,vfr,cuts")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    parts = args.only.split(",")
    results = {}
    if "cuts" in parts:
        results["cuts"] = cuts()
    if "vfr" in parts:
        results["vfr"] = vfr()
    if "steps" in parts:
        results["steps"] = steps(args.triplets)
    text = tables(results, " ".join(["bench/frame_rates.py", *sys.argv[1:]]))
    (OUT / "frame_rates.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
