"""The GPU check (run by bench/gpu_check.sh on a machine with an NVIDIA GPU; prints markdown tables).

    .venv/bin/python bench/gpu_check.py [--only precision,speed,nvenc,catalog] [--clips 16] [--device cuda]

precision: fp32 against fp16 on real triplets (tests/media's, fetched from the registries), both models:
PSNR of each against the true middle frame, and of fp16 against fp32. speed: model passes per second
at 1280x720 and 1920x1080 for both models, fp32 and fp16, batch 1 and 4 (CUDA-synchronised, medians).
nvenc: whether h264/hevc/av1_nvenc open here, and their encode speed at 1080p. catalog: `rifeflow run` on
16 two-second 720p clips made from the test footage, on the local cluster with one worker per GPU:
output frames per second, the GPU's busy fraction (nvidia-smi's utilization.gpu sampled every 0.5 s
while the run's chunks work) and the data path's CPU (process-tree CPU seconds per output frame).
`--device cpu` runs every part that does not need a GPU, small, to check the script itself.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, run_header  # noqa: E402

from rifeflow.engine.runtime import load_interpolator, to_arrays, to_tensor  # noqa: E402
from rifeflow.metrics.quality import psnr  # noqa: E402

BIN = Path(sys.executable).parent
MODELS = ("rife-hdv3", "rife-4.25")


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def precision(device: str) -> list[dict]:
    from tests.media import triplets_dir
    from tests.helpers import load_rgb

    triplets = sorted(p.parent for p in triplets_dir().glob("*/*/frame_01_gt.png"))
    rows = []
    for model in MODELS:
        for fp16 in (False, True):
            interp, _ = load_interpolator(model, None, device, 1.0, fp16, False)
            scores = []
            for folder in triplets:
                a, truth, b = (load_rgb(folder / n) for n in ("frame_00.png", "frame_01_gt.png", "frame_02.png"))
                with torch.inference_mode():
                    mid = interp.interpolate(*to_tensor([a, b], interp.device).split(1))
                scores.append((psnr(truth, to_arrays(mid[0], np.uint8)), to_arrays(mid[0], np.uint8)))
            rows.append(dict(model=model, fp16=fp16, dtype=str(interp.dtype), n=len(scores),
                             psnr=statistics.mean(s for s, _ in scores), frames=[f for _, f in scores]))
    out = []
    for model in MODELS:
        fp32, fp16 = [r for r in rows if r["model"] == model]
        between = statistics.mean(psnr(x, y) for x, y in zip(fp32["frames"], fp16["frames"]))
        out.append(dict(model=model, n=fp32["n"], fp32=fp32["psnr"], fp16=fp16["psnr"], fp16_dtype=fp16["dtype"],
                        between=between))
        print(f"  precision {out[-1]}", flush=True)
    return out


def speed(device: str, sizes: list[tuple[int, int]]) -> list[dict]:
    rows = []
    for model in MODELS:
        for fp16 in (False, True):
            interp, _ = load_interpolator(model, None, device, 1.0, fp16, False)
            for width, height in sizes:
                for batch in (1, 4):
                    a = torch.rand(batch, 3, height, width, device=interp.device)
                    b = torch.rand(batch, 3, height, width, device=interp.device)
                    times = []
                    for rep in range(12):
                        _sync(device)
                        started = time.perf_counter()
                        interp.interpolate(a, b)
                        _sync(device)
                        if rep >= 2:  # the first passes pick kernels
                            times.append(time.perf_counter() - started)
                    rows.append(dict(model=model, fp16=fp16, size=f"{width}x{height}", batch=batch,
                                     passes_per_s=batch / statistics.median(times)))
                    print(f"  speed {rows[-1]}", flush=True)
    return rows


def nvenc(size: tuple[int, int]) -> list[dict]:
    from rifeflow.video.encode import unusable_reason

    rows = []
    for codec in ("h264_nvenc", "hevc_nvenc", "av1_nvenc"):
        reason = unusable_reason(codec)
        row = dict(codec=codec, usable=reason is None, reason=reason, fps=None)
        if reason is None:
            frames = [np.random.default_rng(i).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
                      for i in range(4)]
            with tempfile.TemporaryDirectory() as tmp, av.open(f"{tmp}/o.mp4", "w") as out:
                stream = out.add_stream(codec, rate=50)
                stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
                stream.options = {"preset": "p5", "rc": "vbr", "cq": "19", "b": "0"}
                started = time.perf_counter()
                for i in range(200):
                    frame = av.VideoFrame.from_ndarray(frames[i % 4], format="rgb24").reformat(format="yuv420p")
                    frame.pts = i
                    out.mux(stream.encode(frame))
                out.mux(stream.encode(None))
                row["fps"] = 200 / (time.perf_counter() - started)
        rows.append(row)
        print(f"  nvenc {row}", flush=True)
    return rows


class GpuSampler:
    """nvidia-smi's utilization.gpu every 0.5 s while running."""

    def __init__(self):
        self.samples: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout
                self.samples.append(statistics.mean(float(x) for x in out.split()) / 100)
            except (OSError, ValueError, subprocess.TimeoutExpired, statistics.StatisticsError):
                pass

    def __enter__(self):
        if shutil.which("nvidia-smi"):
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()


def catalog(clips: int, size: tuple[int, int], device: str) -> dict:
    from data_path import make_clip  # noqa: E402  (bench/data_path.py)
    from tests.media import media_dir

    heads = [media_dir() / "talking_head.mp4", media_dir() / "talking_head_mpeg4.mp4"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = tmp / "catalog"
        source.mkdir()
        for i in range(clips):
            make_clip(heads[i % 2], 0.0, 2.0, size, source / f"clip_{i:03d}.mp4")
        env = {"PREFECT_HOME": str(tmp / "prefect"), "DO_NOT_TRACK": "1", "PATH": str(BIN)}
        gpus = [] if device == "cpu" else ["--gpus", "all"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        with GpuSampler() as sampler:
            proc = subprocess.run([str(BIN / "rifeflow"), "run", str(source), str(tmp / "out"), "--exp", "1",
                                   "--heldout-frames", "0", "-q", *gpus], capture_output=True, text=True,
                                  env={**dict(__import__("os").environ), **env})
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        frames = 2 * sum(av.open(str(p)).streams.video[0].frames for p in source.iterdir())
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busy = statistics.mean(sampler.samples) if sampler.samples else None
    row = dict(clips=clips, size=f"{size[0]}x{size[1]}", wall=wall, frames=frames, fps=frames / wall,
               gpu_busy=busy, cpu_ms_per_frame=1000 * cpu / frames, cores_busy=cpu / wall)
    print(f"  catalog {row}", flush=True)
    return row


def tables(results: dict, command: str) -> str:
    lines = [run_header(command), "", f"torch {torch.__version__}, device: "
             f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}", ""]
    if "precision" in results:
        lines += ["| model | triplets | fp32 PSNR dB | fp16 PSNR dB | fp16 against fp32 dB | half precision used |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['model']} | {r['n']} | {r['fp32']:.3f} | {r['fp16']:.3f} | {r['between']:.1f} | "
                  f"{r['fp16_dtype']} |" for r in results["precision"]] + [""]
    if "speed" in results:
        lines += ["| model | precision | size | batch | model passes/s |", "|---|---|---|---|---|"]
        lines += [f"| {r['model']} | {'fp16' if r['fp16'] else 'fp32'} | {r['size']} | {r['batch']} | "
                  f"{r['passes_per_s']:.1f} |" for r in results["speed"]] + [""]
    if "nvenc" in results:
        lines += ["| encoder | usable | encode fps at 1080p | why not |", "|---|---|---|---|"]
        lines += [f"| {r['codec']} | {r['usable']} | {r['fps'] or 0:.0f} | {r['reason'] or ''} |"
                  for r in results["nvenc"]] + [""]
    if "catalog" in results:
        r = results["catalog"]
        lines += ["| clips | size | output frames/s | GPU busy | CPU core-ms per output frame | cores busy |",
                  "|---|---|---|---|---|---|",
                  f"| {r['clips']} | {r['size']} | {r['fps']:.1f} | "
                  f"{'n/a' if r['gpu_busy'] is None else format(r['gpu_busy'], '.0%')} | {r['cpu_ms_per_frame']:.1f} | "
                  f"{r['cores_busy']:.1f} |", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="precision,speed,nvenc,catalog")
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device here (torch.cuda.is_available() is False); "
                         "--device cpu checks the script itself")
    small = args.device == "cpu"
    sizes = [(256, 144)] if small else [(1280, 720), (1920, 1080)]
    parts = args.only.split(",")
    results: dict = {}
    if "precision" in parts:
        results["precision"] = precision(args.device)
    if "speed" in parts:
        results["speed"] = speed(args.device, sizes)
    if "nvenc" in parts:
        results["nvenc"] = nvenc((256, 144) if small else (1920, 1080))
    if "catalog" in parts:
        results["catalog"] = catalog(2 if small else args.clips, (256, 144) if small else (1280, 720), args.device)
    OUT.mkdir(exist_ok=True)
    text = tables(results, " ".join(["bench/gpu_check.py", *sys.argv[1:]]))
    (OUT / "gpu_check.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
