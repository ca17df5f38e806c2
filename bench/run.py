"""rifeflow benchmarks: bare model, end to end, FFmpeg's minterpolate, memory. Prints markdown tables.

    .venv/bin/python bench/run.py [--quick] [--only model,e2e,minterp,memory]

Every ratio is against a baseline measured in the same run. Clips are made from ../shared/data.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, load_frames, repeated, trimmed  # noqa: E402

from rife_kernels import FrameInterpolator  # noqa: E402
from rifeflow.engine import to_tensor  # noqa: E402
from rifeflow.quality import psnr  # noqa: E402
from rifeflow.weights import build_model, resolve_weights  # noqa: E402

BIN = Path(sys.executable).parent


def clip_set(quick: bool) -> dict[str, Path]:
    n = 24 if quick else 48
    return {
        "512x512 talking head": trimmed("WDA_KatieHill_000.mp4", n),
        "700x700 talking head": trimmed("retalking_face_3.mp4", n, size=(700, 700), label="retalking3_700"),
        "1280x720": trimmed("WDA_AlexandriaOcasioCortez_000.mp4", n // 2, size=(1280, 720), label="aoc_720p"),
    }


def bare_model(clips, quick) -> list[dict]:
    rows = []
    batches = (1, 4) if quick else (1, 2, 4, 8)
    for label, path in clips.items():
        frames = load_frames(path, 9)
        for model in ("rife-hdv3", "rife-4.25"):
            net = build_model(resolve_weights(model))
            for channels_last in (True, False):
                interp = FrameInterpolator(net, torch.device("cpu"), channels_last=channels_last)
                for batch in batches:
                    a = to_tensor(frames[:batch], interp.device)
                    b = to_tensor(frames[1:batch + 1], interp.device)
                    interp.interpolate(a, b)  # warm-up: grids, allocator
                    reps = max(1, 8 // batch) if "1280" not in label else 1
                    started = time.perf_counter()
                    for _ in range(reps):
                        interp.interpolate(a, b)
                    fps = reps * batch / (time.perf_counter() - started)
                    rows.append(dict(clip=label, model=model, batch=batch, channels_last=channels_last, fps=fps))
                    print(f"  bare {label} {model} batch {batch} cl={channels_last}: {fps:.2f} frames/s", flush=True)
    return rows


def _interpolate_cli(path: Path, out: Path) -> dict:
    code = ("import json,sys; from rifeflow import interpolate_video; "
            "r = interpolate_video(sys.argv[1], sys.argv[2], exp=1); print(json.dumps(r.as_dict()))")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(out)], capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def _run_cli(path: Path, workers: int, tmp: Path) -> dict:
    src = tmp / f"src-{workers}"
    src.mkdir(exist_ok=True)
    (src / path.name).unlink(missing_ok=True)
    os.symlink(path, src / path.name)
    dest = tmp / f"dest-{workers}"
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "DO_NOT_TRACK": "1"}
    started = time.perf_counter()
    subprocess.run([str(BIN / "rifeflow"), "run", str(src), str(dest), "--workers", str(workers),
                    "--chunk-frames", "8", "--heldout-frames", "0"], env=env, capture_output=True, check=True)
    wall = time.perf_counter() - started
    manifest = json.loads(next((dest / ".rifeflow" / "manifests").iterdir()).read_text())
    inside = sum(manifest["timings"].get(s, 0) for s in ("probe", "split", "interpolate", "stitch"))
    static = sum(r["static_pairs"] for r in manifest["results"])
    return dict(wall=wall, inside=inside, pairs=manifest["probe"]["frames"] - 1 - static)


def end_to_end(clips, bare_rows) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, path in clips.items():
            bare = max(r["fps"] for r in bare_rows if r["clip"] == label and r["model"] == "rife-hdv3")
            r = _interpolate_cli(path, tmp / f"{path.stem}-out.mp4")
            model_frames = r["frames_in"] - 1 - r["static_pairs"] - r["scene_cuts"]
            rows.append(dict(clip=label, what="rifeflow interpolate", fps=model_frames / r["wall"],
                             out_fps=r["frames_out"] / r["wall"], bare=bare))
            for workers in (1, 2):
                run = _run_cli(path, workers, tmp)
                rows.append(dict(clip=label, what=f"rifeflow run, {workers} worker(s), whole command",
                                 fps=run["pairs"] / run["wall"], out_fps=2 * (run["pairs"] + 1) / run["wall"],
                                 bare=bare))
                rows.append(dict(clip=label, what=f"rifeflow run, {workers} worker(s), flow stages",
                                 fps=run["pairs"] / run["inside"], out_fps=2 * (run["pairs"] + 1) / run["inside"],
                                 bare=bare))
            print(f"  e2e {label}: " + ", ".join(f"{x['what']} {x['fps']:.2f}" for x in rows if x["clip"] == label),
                  flush=True)
    return rows


def _minterpolate(frames: list[np.ndarray], rate: Fraction) -> tuple[list[np.ndarray], float]:
    """FFmpeg's motion-compensated interpolation to twice the rate; returns the new frames and the time."""
    graph = av.filter.Graph()
    h, w = frames[0].shape[:2]
    src = graph.add_buffer(width=w, height=h, format="rgb24", time_base=1 / rate)
    mi = graph.add("minterpolate", f"fps={rate * 2}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1")
    sink = graph.add("buffersink")
    src.link_to(mi)
    mi.link_to(sink)
    graph.configure()
    out = []
    started = time.perf_counter()
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = i, 1 / rate
        graph.push(frame)
        out += _drain(graph)
    graph.push(None)
    out += _drain(graph)
    return out, time.perf_counter() - started


def _drain(graph) -> list[np.ndarray]:
    frames = []
    while True:
        try:
            frames.append(graph.pull().to_ndarray(format="rgb24"))
        except (av.BlockingIOError, av.EOFError):
            return frames


def minterpolate_vs_model(clips) -> list[dict]:
    """Held-out: drop every other frame, rebuild it with each method, compare with the truth."""
    rows = []
    net = build_model(resolve_weights("rife-hdv3"))
    interp = FrameInterpolator(net, torch.device("cpu"))
    for label, path in clips.items():
        frames = load_frames(path, 17)
        kept, truth = frames[0::2], frames[1::2]
        rate = Fraction(25)
        generated, mi_seconds = _minterpolate(kept, rate)
        mi_mids = generated[1::2][: len(truth)]
        started = time.perf_counter()
        ours = []
        for a, b in zip(kept, kept[1:]):
            out = interp.interpolate(to_tensor([a], interp.device), to_tensor([b], interp.device))
            ours.append((out[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
        model_seconds = time.perf_counter() - started
        rows.append(dict(clip=label, minterp_psnr=float(np.mean([psnr(t, m) for t, m in zip(truth, mi_mids)])),
                         model_psnr=float(np.mean([psnr(t, m) for t, m in zip(truth, ours)])),
                         average_psnr=float(np.mean([psnr(t, ((a.astype(float) + b) / 2).round().astype(np.uint8))
                                                     for t, a, b in zip(truth, kept, kept[1:])])),
                         minterp_fps=len(generated) / mi_seconds, model_fps=len(ours) / model_seconds))
        print(f"  minterpolate {label}: {rows[-1]}", flush=True)
    return rows


def _peak_rss(cmd, env) -> tuple[float, float]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, started = 0, time.perf_counter()
    parent = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed")
    return peak / 2**20, time.perf_counter() - started


def memory(quick) -> list[dict]:
    short = trimmed("nasa_13013.mp4", 48)
    long = repeated(short, 8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in (("48 frames", short), ("384 frames (8x)", long)):
            src = Path(tmp) / label.split()[0]
            src.mkdir()
            os.symlink(path, src / path.name)
            env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "prefect"), "DO_NOT_TRACK": "1"}
            peak, seconds = _peak_rss([str(BIN / "rifeflow"), "run", str(src), str(Path(tmp) / f"out-{label[:3]}"),
                                       "--workers", "2", "--chunk-frames", "16", "--heldout-frames", "4"], env)
            rows.append(dict(clip=label, peak_mib=peak, seconds=seconds))
            print(f"  memory {label}: {peak:.0f} MiB in {seconds:.0f} s", flush=True)
    return rows


def tables(results: dict) -> str:
    out = []
    if "model" in results:
        out += ["### Bare model (IFNet alone, frames in memory, fp32, scale 1.0)", "",
                "| clip | model | batch | channels-last | interpolated frames/s |", "|---|---|---|---|---|"]
        out += [f"| {r['clip']} | {r['model']} | {r['batch']} | {'yes' if r['channels_last'] else 'no'} | "
                f"{r['fps']:.2f} |" for r in results["model"]]
    if "e2e" in results:
        out += ["", "### End to end (exp=1, rife-hdv3), against the best bare-model rate of the same clip", "",
                "| clip | command | model frames/s | output frames/s | bare model | efficiency |",
                "|---|---|---|---|---|---|"]
        out += [f"| {r['clip']} | {r['what']} | {r['fps']:.2f} | {r['out_fps']:.2f} | {r['bare']:.2f} | "
                f"{r['fps'] / r['bare']:.2f} |" for r in results["e2e"]]
    if "minterp" in results:
        out += ["", "### Held-out against FFmpeg's minterpolate (every other frame dropped and rebuilt)", "",
                "| clip | rifeflow PSNR | minterpolate PSNR | neighbour average | rifeflow frames/s | "
                "minterpolate frames/s |", "|---|---|---|---|---|---|"]
        out += [f"| {r['clip']} | {r['model_psnr']:.2f} dB | {r['minterp_psnr']:.2f} dB | {r['average_psnr']:.2f} dB"
                f" | {r['model_fps']:.2f} | {r['minterp_fps']:.2f} |" for r in results["minterp"]]
    if "memory" in results:
        base = results["memory"][0]["peak_mib"]
        out += ["", "### Peak RSS of `rifeflow run` (whole process tree, 2 workers)", "",
                "| clip | peak MiB | ratio to the short clip | seconds |", "|---|---|---|---|"]
        out += [f"| {r['clip']} | {r['peak_mib']:.0f} | {r['peak_mib'] / base:.2f} | {r['seconds']:.0f} |"
                for r in results["memory"]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer frames and batch sizes")
    parser.add_argument("--only", default="model,e2e,minterp,memory")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    parts = args.only.split(",")
    clips = clip_set(args.quick)
    results = {}
    if "model" in parts or "e2e" in parts:
        results["model"] = bare_model(clips, args.quick)
    if "e2e" in parts:
        results["e2e"] = end_to_end(clips, results["model"])
    if "minterp" in parts:
        results["minterp"] = minterpolate_vs_model(clips)
    if "memory" in parts:
        results["memory"] = memory(args.quick)
    text = tables(results)
    (OUT / "results.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
