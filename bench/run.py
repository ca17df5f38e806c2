"""rifeflow benchmarks. Prints markdown tables; every ratio is against a baseline measured in the same run.

    .venv/bin/python bench/run.py [--quick] [--reps N] [--only model,worker,monitors,e2e,reference,catalog,minterp,memory]
                                  [--commands interpolate,run]

model: IFNet alone on frames in memory. worker: the same inside a Dask worker, Dask's default
environment against rifeflow's. monitors: two single-threaded workers at once, with Dask's
profiler and ticks as shipped and as rifeflow's local cluster sets them. e2e: `rifeflow
interpolate` and `rifeflow run` (1 and 2 workers; --commands picks which); the bare model is
measured on the clip right before and right after each command (their mean is the baseline),
and efficiency is the bare model's seconds for the same pairs over the command's seconds
(medians over repetitions).
reference: ECCV2022-RIFE's inference_video.py (bench/reference/setup.sh builds its environment)
timed beside `rifeflow interpolate` in each repetition, and its frames against ours.
catalog: one `rifeflow run` over all clips. minterp: FFmpeg's minterpolate, held out.
memory: peak RSS of `rifeflow run` for a clip and the clip made 8x longer.
Clips are made from ../shared/data.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
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
import reference  # noqa: E402
from clips import OUT, load_frames, repeated, shared_clip, trimmed  # noqa: E402

from rife_kernels import FrameInterpolator  # noqa: E402
from rifeflow.engine.allocator import keep_freed_memory  # noqa: E402
from rifeflow.engine.stream import interpolate_stream  # noqa: E402
from rifeflow.engine.runtime import configure_threads, load_interpolator, to_tensor  # noqa: E402
from rifeflow.metrics.quality import psnr  # noqa: E402
from rifeflow.video.read import probe_video  # noqa: E402
from rifeflow.engine.weights import build_model, resolve_weights  # noqa: E402

BIN = Path(sys.executable).parent
# Children get the environment the bench started with, whatever a library writes into os.environ later.
BASE_ENV = dict(os.environ)


def clip_set(quick: bool) -> dict[str, Path]:
    """The shared talking heads whole (with their audio) and 48 frames at 1280x720; --quick trims all three."""
    if quick:
        return {
            "512x512 talking head, 24 frames": trimmed("WDA_KatieHill_000.mp4", 24),
            "700x700 talking head, 24 frames": trimmed("retalking_face_1.mp4", 24),
            "1280x720, 12 frames": trimmed("WDA_AlexandriaOcasioCortez_000.mp4", 12, size=(1280, 720),
                                           label="aoc_720p"),
        }
    return {
        "512x512 talking head, 200 frames": shared_clip("WDA_KatieHill_000.mp4"),
        "700x700 talking head, 135 frames": shared_clip("retalking_face_1.mp4"),
        "1280x720, 48 frames": trimmed("WDA_AlexandriaOcasioCortez_000.mp4", 48, size=(1280, 720), label="aoc_720p"),
    }


_INTERP: dict[str, FrameInterpolator] = {}


def _interpolator(model: str = "rife-hdv3") -> FrameInterpolator:
    if model not in _INTERP:
        _INTERP[model] = FrameInterpolator(build_model(resolve_weights(model)), torch.device("cpu"))
    return _INTERP[model]


def _pair_seconds(interp: FrameInterpolator, path: Path, pairs: int) -> list[float]:
    """Seconds of each of `pairs` consecutive frame pairs of the clip, after one warm-up pair."""
    tensors = [to_tensor([f], interp.device) for f in load_frames(path, pairs + 1)]
    interp.interpolate(tensors[0], tensors[1])
    times = []
    for a, b in zip(tensors, tensors[1:]):
        started = time.perf_counter()
        interp.interpolate(a, b)
        times.append(time.perf_counter() - started)
    return times


def bare_rate(path: Path, pairs: int = 6) -> float:
    """Interpolated frames/s of rife-hdv3 alone (batch 1, channels-last) on pairs of this clip."""
    return pairs / sum(_pair_seconds(_interpolator(), path, pairs))


def bare_model(clips, quick) -> list[dict]:
    rows = []
    for label, path in clips.items():
        batches = (1, 2, 4, 8) if label.startswith("512") and not quick else (1, 4)
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


def interpolate_cli(path: Path, out: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "rifeflow"), "interpolate", str(path), str(out), "--exp", "1"],
                          env=BASE_ENV, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    m = re.search(r": (\d+) -> \d+ frames.*?(\d+) still pair\(s\), (\d+) scene cut", proc.stdout)
    return dict(wall=wall, pairs=int(m[1]) - 1 - int(m[2]) - int(m[3]))


def run_cli(paths: list[Path], workers: int, tmp: Path, chunk_frames: int) -> dict:
    src = Path(tempfile.mkdtemp(dir=tmp, prefix="src-"))
    for path in paths:
        os.symlink(path, src / path.name)
    dest = Path(tempfile.mkdtemp(dir=tmp, prefix="dest-"))
    env = {**BASE_ENV, "PREFECT_HOME": str(tmp / "prefect"), "DO_NOT_TRACK": "1"}
    started = time.perf_counter()
    subprocess.run([str(BIN / "rifeflow"), "run", str(src), str(dest), "--workers", str(workers),
                    "--chunk-frames", str(chunk_frames), "--heldout-frames", "0"], env=env, capture_output=True,
                   check=True)
    wall = time.perf_counter() - started
    pairs, inside = {}, 0.0
    for manifest_path in (dest / ".rifeflow" / "manifests").iterdir():
        manifest = json.loads(manifest_path.read_text())
        inside += sum(manifest["timings"].get(s, 0) for s in ("prepare", "interpolate", "stitch"))
        skipped = sum(r["static_pairs"] + len(r.get("scene_cut_pairs") or []) for r in manifest["results"])
        pairs[Path(manifest["source_uri"]).name] = manifest["probe"]["frames"] - 1 - skipped
    return dict(wall=wall, inside=inside, pairs=pairs)


def _median_row(clip: str, what: str, reps: list[tuple[float, float]], **extra) -> dict:
    """reps: (model frames/s, efficiency) per repetition."""
    effs = [e for _, e in reps]
    return dict(clip=clip, what=what, fps=statistics.median(f for f, _ in reps), eff=statistics.median(effs),
                eff_min=min(effs), eff_max=max(effs), n=len(reps), **extra)


def bracketed(path: Path, command):
    """Run `command()`; the bare-model rate is the mean of one measurement just before and one just after."""
    before = bare_rate(path)
    result = command()
    return result, (before + bare_rate(path)) / 2


def end_to_end(clips, reps: int, with_reference: bool, commands=("interpolate", "run")) -> tuple[list[dict], list[dict]]:
    rows, ref_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, path in clips.items():
            chunk_frames = -(-probe_video(str(path)).frames // 4)  # four equal chunks: two per worker
            got: dict[str, list] = {}
            bares, ref_ratios, ref_walls, our_walls = [], [], [], []
            for rep in range(reps):
                if "interpolate" in commands:
                    r, bare = bracketed(path, lambda: interpolate_cli(path, tmp / f"{path.stem}-out.mp4"))
                    bares.append(bare)
                    got.setdefault("rifeflow interpolate", []).append((r["pairs"] / r["wall"], r["pairs"] / bare / r["wall"]))
                    if with_reference:
                        ref = reference.video_seconds(path, tmp / f"{path.stem}-ref.mp4", BASE_ENV)
                        ref_ratios.append(ref / r["wall"])
                        ref_walls.append(ref)
                        our_walls.append(r["wall"])
                run_workers = () if "run" not in commands else (1, 2) if rep == 0 else (2,)  # 2 is the default
                for workers in run_workers:
                    run, bare = bracketed(path, lambda: run_cli([path], workers, tmp, chunk_frames))
                    bares.append(bare)
                    pairs = sum(run["pairs"].values())
                    got.setdefault(f"rifeflow run, {workers} worker(s), whole command", []).append(
                        (pairs / run["wall"], pairs / bare / run["wall"]))
                    got.setdefault(f"rifeflow run, {workers} worker(s), flow stages", []).append(
                        (pairs / run["inside"], pairs / bare / run["inside"]))
                print(f"  e2e {label} rep {rep + 1}: bare {bares[-1]:.2f}, "
                      + ", ".join(f"{k} {v[-1][1]:.2f}" for k, v in got.items())
                      + (f", reference/ours {ref_ratios[-1]:.2f}" if with_reference and ref_ratios else ""), flush=True)
            rows += [_median_row(label, what, values, bare=statistics.median(bares)) for what, values in got.items()]
            if with_reference and ref_ratios:
                ref_rows.append(dict(clip=label, ours=statistics.median(our_walls), ref=statistics.median(ref_walls),
                                     ratio=statistics.median(ref_ratios), lo=min(ref_ratios), hi=max(ref_ratios),
                                     n=reps))
    return rows, ref_rows


def catalog(clips, chunk_frames: int = 16) -> list[dict]:
    """One `rifeflow run` (2 workers) over every clip, so start-up is paid once; bare rates measured just before."""
    bare = {path.name: bare_rate(path) for path in clips.values()}
    with tempfile.TemporaryDirectory() as tmp:
        run = run_cli(list(clips.values()), 2, Path(tmp), chunk_frames)
    bare_seconds = sum(pairs / bare[name] for name, pairs in run["pairs"].items())
    row = dict(clips=len(run["pairs"]), pairs=sum(run["pairs"].values()), wall=run["wall"], bare_s=bare_seconds,
               eff=bare_seconds / run["wall"], inside_eff=bare_seconds / run["inside"])
    print(f"  catalog: {row}", flush=True)
    return [row]


def agreement(clips, frames: int = 12) -> list[dict]:
    """PSNR between the reference's frames and rifeflow's for the same decoded frames (lossless both sides)."""
    rows = []
    interp = _interpolator()
    for label, path in clips.items():
        source = load_frames(path, frames)
        ref = reference.image_sequence(source)
        ours = list(interpolate_stream(interp, source, 1, "chain", 1))[: len(ref)]
        mids = [psnr(a, b) for a, b in zip(ref[1::2], ours[1::2])]
        kept = [psnr(a, b) for a, b in zip(ref[0::2], ours[0::2])]
        rows.append(dict(clip=label, frames=len(ref), mid_mean=float(np.mean(mids)), mid_min=float(np.min(mids)),
                         kept_min=float(np.min(kept))))
        print(f"  agreement {label}: {rows[-1]}", flush=True)
    return rows


def _worker_model_seconds(path: str, threads: int, rifeflow_loader: bool) -> float:
    """Seconds per frame on a worker; with rifeflow_loader the model comes through rifeflow's loader."""
    configure_threads(threads)
    if rifeflow_loader:
        interp, _ = load_interpolator("rife-hdv3", None, "cpu", 1.0, False, False)
    else:
        interp = FrameInterpolator(build_model(resolve_weights("rife-hdv3")), torch.device("cpu"))
    return statistics.median(_pair_seconds(interp, Path(path), 4))


def in_worker(clips) -> list[dict]:
    """IFNet inside one Dask worker process (all cores' torch threads): plain Dask vs rifeflow's cluster and loader."""
    import logging

    from distributed import Client, LocalCluster

    from rifeflow.orchestration.dask_cluster import dask_cluster, parent_environ_kept

    path = str(next(iter(clips.values())))
    threads = os.cpu_count() or 1
    rows = []
    for rep in range(2):
        bare = 1 / bare_rate(Path(path), 4)
        with parent_environ_kept({}), LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None,
                                                   silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            default = client.submit(_worker_model_seconds, path, threads, False, pure=False).result()
        with dask_cluster(None, 1) as info, Client(info.address) as client:
            ours = client.submit(_worker_model_seconds, path, threads, True, pure=False).result()
        rows.append(dict(rep=rep + 1, bare=bare, dask_default=default, rifeflow=ours))
        print(f"  worker: {rows[-1]}", flush=True)
    return rows


def monitors(clips, reps: int = 3) -> list[dict]:
    """Two single-threaded workers at once, as `rifeflow run` lays them out: Dask's monitors as shipped, then quieted."""
    from distributed import Client

    from rifeflow.orchestration.dask_cluster import dask_cluster

    path = str(next(iter(clips.values())))
    rows = []
    for rep in range(reps):
        row = dict(rep=rep + 1)
        for name, quiet in (("dask", False), ("quiet", True)):
            with dask_cluster(None, 2, quiet=quiet) as info, Client(info.address) as client:
                futures = [client.submit(_worker_model_seconds, path, 1, True, workers=[w], pure=False)
                           for w in client.scheduler_info(n_workers=-1)["workers"]]
                row[name] = statistics.mean(f.result() for f in futures)
        rows.append(row)
        print(f"  monitors: {row}", flush=True)
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
    interp = _interpolator()
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
            env = {**BASE_ENV, "PREFECT_HOME": str(Path(tmp) / "prefect"), "DO_NOT_TRACK": "1"}
            peak, seconds = _peak_rss([str(BIN / "rifeflow"), "run", str(src), str(Path(tmp) / f"out-{label[:3]}"),
                                       "--workers", "2", "--chunk-frames", "16", "--heldout-frames", "4"], env)
            rows.append(dict(clip=label, peak_mib=peak, seconds=seconds))
            print(f"  memory {label}: {peak:.0f} MiB in {seconds:.0f} s", flush=True)
    return rows


def _table(title: str, header: list[str], lines: list[str]) -> list[str]:
    return ["", f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header), *lines]


def tables(results: dict) -> str:
    out = []
    if "model" in results:
        out += _table("Bare model (IFNet alone, frames in memory, fp32, scale 1.0)",
                      ["clip", "model", "batch", "channels-last", "interpolated frames/s"],
                      [f"| {r['clip']} | {r['model']} | {r['batch']} | {'yes' if r['channels_last'] else 'no'} | "
                       f"{r['fps']:.2f} |" for r in results["model"]])
    if "worker" in results:
        out += _table("IFNet inside a Dask worker (512x512, one worker, all cores' torch threads; seconds per frame)",
                      ["repetition", "bare, this process", "plain Dask worker", "rifeflow's cluster and loader",
                       "plain / bare", "rifeflow's / bare"],
                      [f"| {r['rep']} | {r['bare']:.3f} | {r['dask_default']:.3f} | {r['rifeflow']:.3f} | "
                       f"{r['dask_default'] / r['bare']:.2f} | {r['rifeflow'] / r['bare']:.2f} |"
                       for r in results["worker"]])
    if "monitors" in results:
        out += _table("IFNet in two single-threaded Dask workers at once (512x512; seconds per frame, mean of the two)",
                      ["repetition", "Dask's monitors as shipped", "quieted (rifeflow's local cluster)", "ratio"],
                      [f"| {r['rep']} | {r['dask']:.3f} | {r['quiet']:.3f} | {r['quiet'] / r['dask']:.3f} |"
                       for r in results["monitors"]])
    if "e2e" in results:
        out += _table("End to end (exp=1, rife-hdv3; efficiency = bare-model seconds for the same pairs / "
                      "command seconds)",
                      ["clip", "command", "model frames/s", "bare model frames/s", "efficiency (median)", "range",
                       "runs"],
                      [f"| {r['clip']} | {r['what']} | {r['fps']:.2f} | {r['bare']:.2f} | {r['eff']:.2f} | "
                       f"{r['eff_min']:.2f}-{r['eff_max']:.2f} | {r['n']} |" for r in results["e2e"]])
    if "catalog" in results:
        out += _table("One `rifeflow run` over all the clips (2 workers; start-up paid once)",
                      ["videos", "frame pairs", "seconds", "bare-model seconds", "efficiency, whole command",
                       "efficiency, flow stages"],
                      [f"| {r['clips']} | {r['pairs']} | {r['wall']:.0f} | {r['bare_s']:.0f} | {r['eff']:.2f} | "
                       f"{r['inside_eff']:.2f} |" for r in results["catalog"]])
    if "reference" in results:
        out += _table("ECCV2022-RIFE's inference_video.py (same weights, exp=1) against `rifeflow interpolate`",
                      ["clip", "reference s", "rifeflow s", "speed-up (median)", "range", "runs"],
                      [f"| {r['clip']} | {r['ref']:.1f} | {r['ours']:.1f} | {r['ratio']:.2f}x | "
                       f"{r['lo']:.2f}-{r['hi']:.2f} | {r['n']} |" for r in results["reference"]])
    if "agreement" in results:
        out += _table("Reference frames against rifeflow's (same decoded frames, PNG both sides)",
                      ["clip", "frames", "in-between PSNR mean", "in-between PSNR min", "source frames PSNR min"],
                      [f"| {r['clip']} | {r['frames']} | {r['mid_mean']:.2f} dB | {r['mid_min']:.2f} dB | "
                       f"{r['kept_min']:.2f} dB |" for r in results["agreement"]])
    if "minterp" in results:
        out += _table("Held-out against FFmpeg's minterpolate (every other frame dropped and rebuilt)",
                      ["clip", "rifeflow PSNR", "minterpolate PSNR", "neighbour average", "rifeflow frames/s",
                       "minterpolate frames/s"],
                      [f"| {r['clip']} | {r['model_psnr']:.2f} dB | {r['minterp_psnr']:.2f} dB | "
                       f"{r['average_psnr']:.2f} dB | {r['model_fps']:.2f} | {r['minterp_fps']:.2f} |"
                       for r in results["minterp"]])
    if "memory" in results:
        base = results["memory"][0]["peak_mib"]
        out += _table("Peak RSS of `rifeflow run` (whole process tree, 2 workers)",
                      ["clip", "peak MiB", "ratio to the short clip", "seconds"],
                      [f"| {r['clip']} | {r['peak_mib']:.0f} | {r['peak_mib'] / base:.2f} | {r['seconds']:.0f} |"
                       for r in results["memory"]])
    return "\n".join(out).lstrip("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short clips, one repetition, batch sizes 1 and 4")
    parser.add_argument("--reps", type=int, default=None, help="repetitions of each end-to-end measurement (3)")
    parser.add_argument("--only", default="model,worker,monitors,e2e,reference,catalog,minterp,memory")
    parser.add_argument("--commands", default="interpolate,run",
                        help="end-to-end commands to time: interpolate, run or both (default both)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    keep_freed_memory()  # the same allocator settings rifeflow's own processes use
    parts = args.only.split(",")
    reps = args.reps or (1 if args.quick else 3)
    clips = clip_set(args.quick)
    if "reference" in parts:
        reference.ensure_environment()
    results: dict = {}

    def publish():
        text = tables(results)
        (OUT / "results.md").write_text(text + "\n")
        (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str))
        return text

    sections = [
        ("model", lambda: bare_model(clips, args.quick)),
        ("worker", lambda: in_worker(clips)),
        ("monitors", lambda: monitors(clips)),
        ("e2e", None),
        ("agreement", lambda: agreement(clips)),
        ("catalog", lambda: catalog(clips)),
        ("minterp", lambda: minterpolate_vs_model(clips)),
        ("memory", lambda: memory(args.quick)),
    ]
    for name, run in sections:
        if name == "e2e":
            if "e2e" in parts or "reference" in parts:
                results["e2e"], ref_rows = end_to_end(clips, reps, "reference" in parts, args.commands.split(","))
                if ref_rows:
                    results["reference"] = ref_rows
        elif name == "agreement":
            if "reference" in parts:
                results["agreement"] = run()
        elif name in parts:
            results[name] = run()
        publish()
    print("\n" + publish())


if __name__ == "__main__":
    main()
