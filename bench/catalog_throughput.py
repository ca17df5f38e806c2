"""Catalog throughput: `rifeflow run` over a folder of short talking-head clips against a shell loop of
`rifeflow interpolate` over the same files, paired in one run. Prints markdown tables (also written to
bench/out/throughput.md).

    .venv/bin/python bench/catalog_throughput.py [--clips 16] [--reps 2] [--only pair,scaling,memory]

pair: loop vs run (2 workers, the local default), alternating which goes first; efficiency =
bare-model seconds for the pairs the model really ran (measured right before and after each
command, all cores) / wall seconds; busy = the workers' compute share of Dask's task stream from
the first task to the last (the run logs it). scaling: the same catalog on an external cluster of
1 and then 2 single-threaded workers. memory: peak RSS of the flow's own process (not its workers
or Prefect's server) over 16 and 64 tiny clips. Clips are made from ../shared/data's talking heads:
2 s each at 384x384 with their audio, cut at different offsets.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, run_header, shared_clip  # noqa: E402
from run import BASE_ENV, BIN, bare_rate  # noqa: E402

from rifeflow.engine.allocator import keep_freed_memory  # noqa: E402
from rifeflow.video.sample import make_sample_clip  # noqa: E402
from rifeflow.video.read import decode_frames, probe_video  # noqa: E402

HEADS = ["WDA_AlexandriaOcasioCortez_000.mp4", "WDA_KatieHill_000.mp4", "retalking_face_1.mp4",
         "retalking_face_2.mp4", "retalking_face_3.mp4"]
QUIET_DASK = {"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False", "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s"}


def cut(source: Path, start_s: float, seconds: float, size: int, target: Path) -> Path:
    """`seconds` of a clip from `start_s`, resized to size x size, with its audio re-encoded to AAC."""
    probe = probe_video(str(source))
    first = round(start_s * float(probe.rate))
    frames = decode_frames(probe, 8, first, first + round(seconds * float(probe.rate)))
    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        video = out.add_stream("libx264", rate=probe.rate)
        video.width = video.height = size
        video.pix_fmt, video.options = "yuv420p", {"crf": "16", "preset": "fast"}
        a_in = src.streams.audio[0]
        audio = out.add_stream("aac", rate=a_in.rate)
        audio.layout = "mono"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(width=size, height=size)
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=a_in.rate)
        pts = 0
        for frame in src.decode(a_in):
            t = frame.pts * float(frame.time_base)
            if t < start_s or t >= start_s + seconds:
                continue
            for resampled in resampler.resample(frame):
                resampled.pts, pts = pts, pts + resampled.samples
                out.mux(audio.encode(resampled))
        out.mux(audio.encode(None))
    return target


def talking_catalog(count: int, folder: Path, seconds: float = 2.0, size: int = 384) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    offsets = [0.0, 2.0, 4.0, 1.0]
    for i in range(count):
        head = HEADS[i % len(HEADS)]
        target = folder / f"{Path(head).stem}_{i:03d}.mp4"
        if not target.exists():
            cut(shared_clip(head), offsets[(i // len(HEADS)) % len(offsets)], seconds, size, target)
    return folder


def tiny_catalog(count: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        target = folder / f"tiny_{i:03d}.mp4"
        if not target.exists():
            make_sample_clip(str(target), seconds=0.4, size=64)
    return folder


def model_pairs(dest: Path) -> int:
    """Pairs the model ran (still pairs and scene cuts are not sent through it), from the run's manifests."""
    total = 0
    for path in (dest / ".rifeflow" / "manifests").iterdir():
        m = json.loads(path.read_text())
        skipped = sum(r["static_pairs"] + len(r.get("scene_cut_pairs") or []) for r in m["results"])
        total += m["probe"]["frames"] - 1 - skipped
    return total


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - started, proc.stdout + proc.stderr


def run_env(tmp: Path) -> dict:
    return {**BASE_ENV, "PREFECT_HOME": str(tmp / "prefect"), "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def busy_of(log: str) -> float | None:
    m = re.search(r"workers busy ([\d.]+)%", log)
    return float(m[1]) / 100 if m else None


def loop(catalog: Path, tmp: Path) -> float:
    out = Path(tempfile.mkdtemp(dir=tmp, prefix="loop-"))
    started = time.perf_counter()
    for clip in sorted(catalog.glob("*.mp4")):
        timed([str(BIN / "rifeflow"), "interpolate", str(clip), str(out / clip.name), "--exp", "1"], BASE_ENV)
    return time.perf_counter() - started


def catalog_run(catalog: Path, tmp: Path, extra: list[str], env: dict | None = None) -> tuple[float, Path, str]:
    dest = Path(tempfile.mkdtemp(dir=tmp, prefix="run-"))
    wall, log = timed([str(BIN / "rifeflow"), "run", str(catalog), str(dest), "--exp", "1", "--heldout-frames", "0",
                       *extra], {**run_env(tmp), **(env or {})})
    return wall, dest, log


def paired(catalog: Path, reps: int, tmp: Path) -> list[dict]:
    probe_clip = next(iter(sorted(catalog.glob("*.mp4"))))
    rows = []
    timed([str(BIN / "rifeflow"), "run", str(tiny_catalog(1, OUT / "tiny-1")), str(tmp / "warm")],
          run_env(tmp))  # Prefect's database migrations and the first imports, once
    for rep in range(reps):
        order = ("loop", "run") if rep % 2 == 0 else ("run", "loop")
        row = {"rep": rep + 1}
        for what in order:
            before = bare_rate(probe_clip)
            if what == "loop":
                row["loop_s"] = loop(catalog, tmp)
            else:
                row["run_s"], dest, log = catalog_run(catalog, tmp, ["--workers", "2"])
                row["pairs"], row["busy"] = model_pairs(dest), busy_of(log)
            row[f"bare_{what}"] = (before + bare_rate(probe_clip)) / 2
        for what in ("loop", "run"):
            row[f"eff_{what}"] = row["pairs"] / row[f"bare_{what}"] / row[f"{what}_s"]
        row["speedup"] = row["loop_s"] / row["run_s"]
        rows.append(row)
        print(f"  pair {row}", flush=True)
    return rows


class ExternalCluster:
    """`dask scheduler` and single-threaded `dask worker`s, each with its own TMPDIR, all on one Prefect API."""

    def __init__(self, workers: int, tmp: Path, api_url: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        env = {**run_env(tmp), **QUIET_DASK, "PREFECT_API_URL": api_url}
        self.procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                        "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)]
        for i in range(workers):
            scratch = Path(tempfile.mkdtemp(dir=tmp, prefix=f"w{i}-"))
            self.procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                env={**env, "OMP_NUM_THREADS": "1", "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            proc.wait(timeout=30)


def scaling(catalog: Path, tmp: Path) -> list[dict]:
    from rifeflow.orchestration.prefect_server import TemporaryServer

    rows = []
    for workers in (1, 2):
        server = TemporaryServer()
        url = server.wait_ready(120)
        cluster = ExternalCluster(workers, tmp, url)
        try:
            wall, dest, log = catalog_run(catalog, tmp, ["--scheduler", cluster.address], {"PREFECT_API_URL": url})
        finally:
            cluster.close()
            server.stop()
        rows.append(dict(workers=workers, wall=wall, pairs=model_pairs(dest), busy=busy_of(log)))
        print(f"  scaling {rows[-1]}", flush=True)
    return rows


def flow_rss(catalog: Path, tmp: Path) -> tuple[float, float]:
    """Peak RSS (MiB) of the `rifeflow run` process itself, and its wall seconds."""
    dest = Path(tempfile.mkdtemp(dir=tmp, prefix="rss-"))
    proc = subprocess.Popen([str(BIN / "rifeflow"), "run", str(catalog), str(dest), "--workers", "2",
                             "--heldout-frames", "0", "--preset", "veryfast"], env=run_env(tmp),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    me, peak, started = psutil.Process(proc.pid), 0, time.perf_counter()
    while proc.poll() is None:
        try:
            peak = max(peak, me.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    if proc.returncode != 0:
        raise RuntimeError("rifeflow run failed in the memory section")
    return peak / 2**20, time.perf_counter() - started


def memory(tmp: Path) -> list[dict]:
    rows = []
    for count in (16, 64):
        peak, wall = flow_rss(tiny_catalog(count, OUT / f"tiny-{count}"), tmp)
        rows.append(dict(clips=count, peak_mib=peak, wall=wall))
        print(f"  memory {rows[-1]}", flush=True)
    return rows


def tables(results: dict, command: str) -> str:
    lines = [run_header(command), ""]
    if "pair" in results:
        rows = results["pair"]
        lines += ["### `rifeflow run` (2 workers) against a loop of `rifeflow interpolate`", "",
                  "| rep | pairs | loop s | run s | run speed-up | loop efficiency | run efficiency | workers busy |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['rep']} | {r['pairs']} | {r['loop_s']:.1f} | {r['run_s']:.1f} | {r['speedup']:.2f}x | "
                  f"{r['eff_loop']:.2f} | {r['eff_run']:.2f} | {r['busy'] or 0:.2f} |" for r in rows]
        med = {k: statistics.median(r[k] for r in rows) for k in ("speedup", "eff_loop", "eff_run")}
        lines += [f"| median | | | | {med['speedup']:.2f}x | {med['eff_loop']:.2f} | {med['eff_run']:.2f} | "
                  f"{statistics.median(r['busy'] or 0 for r in rows):.2f} |", ""]
    if "scaling" in results:
        one, two = results["scaling"]
        lines += ["### Single-threaded workers on an external cluster: 1 against 2", "",
                  "| workers | seconds | pairs/s | workers busy |", "|---|---|---|---|"]
        lines += [f"| {r['workers']} | {r['wall']:.1f} | {r['pairs'] / r['wall']:.2f} | {r['busy'] or 0:.2f} |"
                  for r in results["scaling"]]
        lines += ["", f"Throughput ratio 2 / 1 workers: {one['wall'] / two['wall']:.2f}", ""]
    if "memory" in results:
        small, big = results["memory"]
        lines += ["### Peak RSS of the flow process (not its workers or Prefect's server)", "",
                  "| clips | peak MiB | seconds |", "|---|---|---|"]
        lines += [f"| {r['clips']} | {r['peak_mib']:.0f} | {r['wall']:.0f} |" for r in results["memory"]]
        lines += ["", f"Ratio 64 / 16 clips: {big['peak_mib'] / small['peak_mib']:.2f}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--only", default="pair,scaling,memory")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    keep_freed_memory()  # the same allocator settings rifeflow's own processes use
    parts = args.only.split(",")
    catalog = talking_catalog(args.clips, OUT / f"talking-{args.clips}")
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "pair" in parts:
            results["pair"] = paired(catalog, args.reps, tmp)
        if "scaling" in parts:
            results["scaling"] = scaling(catalog, tmp)
        if "memory" in parts:
            results["memory"] = memory(tmp)
    text = tables(results, " ".join(["bench/catalog_throughput.py", *sys.argv[1:]]))
    (OUT / "throughput.md").write_text(text + "\n")
    (OUT / "throughput.json").write_text(json.dumps(results, indent=1))
    print("\n" + text)


if __name__ == "__main__":
    main()
