"""The data path's cost: CPU per output frame of everything but the model, against the floor.

    .venv/bin/python bench/data_path.py [--only path,codecs] [--sizes 384,720] [--reps 3]

IFNet is replaced by a linear blend (bench/standin/: in the benchmark's processes only, never in the
product), so what is timed is rifeflow's own work: fetching, decoding, moving frames, encoding, joining,
the metrics, Prefect and Dask. CPU is the whole process tree's (user + system, every child reaped),
and each figure is marginal: (CPU of the bigger catalog - CPU of the smaller) / (their difference in
output frames), so start-up, imports and Prefect's server boot cancel out.

path: at 384x384 (catalogs of 4 and 16 two-second talking heads) and 1280x720 (2 and 5), `rifeflow run`
(2 workers) with the held-out check off and on, and a shell loop of `rifeflow interpolate`, beside the
floor measured in the same run: decoding each source once and encoding twice its frames once at the
same x264 settings (what `ffmpeg -i IN -vf fps=2*RATE -c:v libx264 -crf 16 -preset medium -c:a copy`
does; here with PyAV's own libx264, the encoder rifeflow uses; for `interpolate`, of the joined video it
is given), and a second floor whose every second frame is new (the average of its neighbours' planes)
instead of a repeat, which x264 codes almost for free.
codecs: `rifeflow run` on the 384x384 catalogs once per codec at its default quality: marginal core-ms per
output frame and bytes per frame.
Tables go to bench/out/data_path.md; the projection to CPU cores per GPU is printed with them.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, run_header, shared_clip  # noqa: E402

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
HEADS = ["WDA_AlexandriaOcasioCortez_000.mp4", "WDA_KatieHill_000.mp4", "retalking_face_1.mp4",
         "retalking_face_2.mp4", "retalking_face_3.mp4"]
# The smaller catalog has a video for each of `run`'s 2 workers: with one, the second worker's start (its
# imports and model, about 4 CPU-seconds) fell in the bigger catalog only and counted as per-frame cost
# (the 720p figures, from catalogs of 1 and 4, include it).
SIZES = {384: ((384, 384), (4, 16)), 720: ((1280, 720), (2, 5))}
# Published GPU rates, output frames per second for 2x at 720p (see the sources): vs-mlrt with
# TensorRT on an RTX 3090 (107 fps at 1080p, about 240 model passes a second at 720p), and PyTorch 4.x
# models on the same card (78 fps at 1080p, about 175 passes at 720p).
GPU_RATES = {"RTX 3090, TensorRT (vs-mlrt)": 480, "RTX 3090, PyTorch (Practical-RIFE #55)": 350}
KINDS = ("floor", "floor_new", "floor_joined", "run_off", "run_on", "interpolate", "loop")
# Each kind's floor: the same decode-and-encode of the very input that kind is given. `interpolate` gets the clips
# joined into one video, re-encoded on the way (their rates and streams differ): a second generation, whose floor
# is its own (4-7 % above the clips', bench/RESULTS.md).
FLOOR_OF = {"interpolate": "floor_joined"}
TODAY = {384: {"run_off": 43.9, "run_on": 57.7, "loop": 39.5, "floor": 7.4},
         720: {"run_off": 150.0, "run_on": 240.0, "loop": 107.0, "floor": 31.0}}  # issue 26's table


def standin_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=os.pathsep.join([str(HERE / "standin"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               RIFEFLOW_BENCH_STANDIN="blend", PREFECT_HOME=str(tmp / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def child_cpu(cmd: list[str], env: dict) -> float:
    """CPU seconds (user + system) of `cmd` and every process under it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_clip(source: Path, start_s: float, seconds: float, size: tuple[int, int], target: Path) -> Path:
    """`seconds` of a talking head from `start_s`, scaled to `size`, H.264 crf 16, its audio as AAC."""
    from rifeflow.video.read import decode_frames, probe_video

    probe = probe_video(str(source))
    first = round(start_s * float(probe.rate))
    frames = decode_frames(probe, 8, first, first + round(seconds * float(probe.rate)))
    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        video = out.add_stream("libx264", rate=probe.rate)
        video.width, video.height = size
        video.pix_fmt, video.options = "yuv420p", {"crf": "16", "preset": "fast"}
        a_in = src.streams.audio[0]
        audio = out.add_stream("aac", rate=a_in.rate)
        audio.layout = "mono"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(width=size[0], height=size[1])
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=a_in.rate)
        pts = 0
        for frame in src.decode(a_in):
            t = frame.pts * float(frame.time_base)
            if start_s <= t < start_s + seconds:
                for resampled in resampler.resample(frame):
                    resampled.pts, pts = pts, pts + resampled.samples
                    out.mux(audio.encode(resampled))
        out.mux(audio.encode(None))
    return target


def catalog(size: tuple[int, int], count: int) -> Path:
    folder = OUT / f"datapath-{size[0]}x{size[1]}-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        head = HEADS[i % len(HEADS)]
        target = folder / f"{Path(head).stem}_{i:03d}.mp4"
        if not target.exists():
            make_clip(shared_clip(head), [0.0, 2.0, 4.0, 1.0][(i // len(HEADS)) % 4], 2.0, size, target)
    return folder


def joined(folder: Path) -> Path:
    """The folder's clips as one video (frames and audio one after another), for `rifeflow interpolate`."""
    target = folder.with_name(folder.name + "-joined") / "joined.mp4"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    clips = sorted(folder.glob("*.mp4"))
    with av.open(str(clips[0])) as first:
        v0, a0 = first.streams.video[0], first.streams.audio[0]
        rate, size, sample_rate = v0.average_rate, (v0.width, v0.height), a0.rate
    with av.open(str(target), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height = size
        video.pix_fmt, video.options = "yuv420p", {"crf": "16", "preset": "fast"}
        audio = out.add_stream("aac", rate=sample_rate)
        audio.layout = "mono"
        frames = samples = 0
        for clip in clips:
            with av.open(str(clip)) as src:
                for frame in src.decode(src.streams.video[0]):
                    frame.pts, frame.time_base = frames, 1 / rate
                    out.mux(video.encode(frame.reformat(format="yuv420p")))
                    frames += 1
            with av.open(str(clip)) as src:
                resampler = av.AudioResampler(format="fltp", layout="mono", rate=sample_rate)
                for frame in src.decode(src.streams.audio[0]):
                    for resampled in resampler.resample(frame):
                        resampled.pts, samples = samples, samples + resampled.samples
                        out.mux(audio.encode(resampled))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return target


def output_frames(folder: Path) -> int:
    total = 0
    for clip in sorted(folder.glob("*.mp4")):
        with av.open(str(clip)) as c:
            total += 2 * sum(1 for p in c.demux(c.streams.video[0]) if p.dts is not None)
    return total


def floor(folder: Path, out: Path, new_frames: bool = False) -> None:
    """Decode each clip once, encode every frame twice at the doubled rate (x264 crf 16 medium), copy the audio.

    With `new_frames`, the second copy is the average of the frame's planes and the next one's instead of a repeat:
    x264 skips most of a repeated frame, and an interpolator's in-betweens are new pictures that it must code.
    """
    out.mkdir(parents=True, exist_ok=True)
    for clip in sorted(folder.glob("*.mp4")):
        with av.open(str(clip)) as src, av.open(str(out / clip.name), "w") as dst:
            v_in, a_in = src.streams.video[0], src.streams.audio[0]
            rate = Fraction(v_in.average_rate) * 2
            video = dst.add_stream("libx264", rate=rate)
            video.width, video.height, video.pix_fmt = v_in.width, v_in.height, "yuv420p"
            video.options = {"crf": "16", "preset": "medium"}
            audio = dst.add_stream_from_template(a_in)
            count = 0
            for packet in src.demux(v_in, a_in):
                if packet.dts is None:
                    continue
                if packet.stream.type == "audio":
                    packet.stream = audio
                    dst.mux(packet)
                    continue
                for frame in packet.decode():
                    if not new_frames:
                        pictures = [frame, frame]
                    else:
                        planes = frame.to_ndarray()
                        pictures = [frame] if count == 0 else [mean_picture(previous, planes), frame]
                        previous = planes
                    for picture in pictures:
                        picture.pts, picture.time_base = count, 1 / rate
                        dst.mux(video.encode(picture))
                        count += 1
            if new_frames:  # the last frame's second copy, as the repeat floor has it
                last = av.VideoFrame.from_ndarray(previous, format="yuv420p")
                last.pts, last.time_base = count, 1 / rate
                dst.mux(video.encode(last))
            dst.mux(video.encode(None))


def mean_picture(a: np.ndarray, b: np.ndarray) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(((a.astype(np.uint16) + b + 1) >> 1).astype(np.uint8), format="yuv420p")


def measure(kind: str, folder: Path, tmp: Path, extra: list[str] = ()) -> float:
    env = standin_env(tmp)
    out = Path(tempfile.mkdtemp(dir=tmp, prefix=f"{kind}-"))
    if kind in ("floor", "floor_new"):
        return child_cpu([sys.executable, __file__, "--" + kind.replace("_", "-"), str(folder), str(out)], env)
    if kind == "floor_joined":  # the floor of the one video `interpolate` is given
        return child_cpu([sys.executable, __file__, "--floor", str(joined(folder).parent), str(out)], env)
    if kind == "interpolate":  # one command on the catalog's clips joined into one video
        clip = joined(folder)
        return child_cpu([str(BIN / "rifeflow"), "interpolate", str(clip), str(out / clip.name), "--exp", "1", "-q"], env)
    if kind == "loop":
        total = 0.0
        for clip in sorted(folder.glob("*.mp4")):
            total += child_cpu([str(BIN / "rifeflow"), "interpolate", str(clip), str(out / clip.name), "--exp", "1",
                                "-q"], env)
        return total
    heldout = ["--heldout-frames", "0"] if kind == "run_off" else []
    return child_cpu([str(BIN / "rifeflow"), "run", str(folder), str(out), "--exp", "1", "--workers", "2", "-q",
                      *heldout, *extra], env)


def marginal(kind: str, small: Path, big: Path, tmp: Path, extra: list[str] = ()) -> dict:
    cpu_small, cpu_big = measure(kind, small, tmp, extra), measure(kind, big, tmp, extra)
    frames = output_frames(big) - output_frames(small)
    row = dict(kind=kind, cpu_small=cpu_small, cpu_big=cpu_big, frames=frames,
               core_ms_per_frame=1000 * (cpu_big - cpu_small) / frames)
    print(f"  {row}", flush=True)
    return row


def path_table(size: int, tmp: Path, reps: int = 1) -> list[dict]:
    """Each kind's marginal cost, `reps` times, the kinds interleaved (this machine's speed drifts by 20 %
    between minutes); the median is the figure, every repetition is kept."""
    dims, (n_small, n_big) = SIZES[size]
    small, big = catalog(dims, n_small), catalog(dims, n_big)
    measure("run_off", small, tmp)  # Prefect's database and the first imports, once
    runs: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for _ in range(reps):
        for kind in KINDS:
            runs[kind].append(marginal(kind, small, big, tmp))
    return [dict(kind=kind, core_ms_per_frame=statistics.median(r["core_ms_per_frame"] for r in runs[kind]),
                 reps=[round(r["core_ms_per_frame"], 2) for r in runs[kind]]) for kind in KINDS]


def codec_table(tmp: Path) -> list[dict]:
    from rifeflow.manifests.codecs import CODECS

    dims, (n_small, n_big) = SIZES[384]
    small, big = catalog(dims, n_small), catalog(dims, n_big)
    measure("run_off", small, tmp)  # Prefect's database and the first imports, once, as path_table does
    rows = []
    for name, spec in CODECS.items():
        if spec.software_fallback:
            continue  # NVENC: bench/gpu_check.sh
        row = marginal("run_off", small, big, tmp, ["--codec", name])
        dest = Path(sorted(tmp.glob("run_off-*"), key=os.path.getmtime)[-1])
        sizes = [p.stat().st_size for p in dest.iterdir() if p.is_file()]
        row.update(codec=name, bytes_per_frame=sum(sizes) / (output_frames(big)))
        rows.append(row)
    return rows


def tables(results: dict, command: str) -> str:
    lines = [run_header(command), ""]
    for size, rows in results.get("path", {}).items():
        by = {r["kind"]: r["core_ms_per_frame"] for r in rows}
        dims, counts = SIZES[int(size)]
        lines += [f"### Data path at {dims[0]}x{dims[1]} (marginal, catalogs of {counts[0]} and {counts[1]} "
                  "two-second clips; IFNet replaced by a blend)", "",
                  "| command | core-ms per output frame | x its floor | x new-frame floor | today (issue 26) | "
                  "today x floor | target |", "|---|---|---|---|---|---|---|"]
        names = {"floor": "floor: decode once, encode 2x frames once (x264 crf 16 medium)",
                 "floor_new": "the same, each second frame new (its neighbours' average), not a repeat",
                 "floor_joined": "floor of the clips joined into one video (what `interpolate` is given)",
                 "run_off": "`rifeflow run`, 2 workers, held-out check off",
                 "run_on": "`rifeflow run`, 2 workers, defaults (held-out check on)",
                 "interpolate": "`rifeflow interpolate` (one command on the clips joined: 8 against 32 s)",
                 "loop": "shell loop of `rifeflow interpolate` (its start-up, 3-4 CPU-s, paid per clip)"}
        target = {"floor": "", "floor_new": "", "floor_joined": "", "run_off": "<= 2.0x", "run_on": "<= 2.5x",
                  "interpolate": "<= 1.5x", "loop": ""}
        today = TODAY[int(size)]
        for kind in KINDS:
            was = today.get(kind)
            old = f"{was:.1f} | {was / today['floor']:.1f}x" if was else "| "
            own = by[FLOOR_OF.get(kind, "floor")]
            beside_new = "-" if kind in FLOOR_OF or kind == "floor_joined" else f"{by[kind] / by['floor_new']:.2f}x"
            lines.append(f"| {names[kind]} | {by[kind]:.1f} | {by[kind] / own:.2f}x | {beside_new} | {old} | "
                         f"{target[kind]} |")
        reps = {r["kind"]: r.get("reps") for r in rows}
        if any(reps.values()):
            lines += ["", "Each repetition (core-ms per output frame): " + "; ".join(
                f"{kind} {', '.join(f'{v:.1f}' for v in reps[kind])}" for kind in reps if reps[kind])]
        lines.append("")
    if "path" in results and "720" in results["path"]:
        by = {r["kind"]: r["core_ms_per_frame"] for r in results["path"]["720"]}
        lines += ["### CPU cores a GPU needs at 720p 2x (output frames/s x core-ms per frame)", "",
                  "| GPU rate | output frames/s | cores today, check off | today, check on | now, check off | "
                  "now, check on |", "|---|---|---|---|---|---|"]
        for name, fps in GPU_RATES.items():
            lines.append(f"| {name} | {fps} | {fps * TODAY[720]['run_off'] / 1000:.0f} | "
                         f"{fps * TODAY[720]['run_on'] / 1000:.0f} | {fps * by['run_off'] / 1000:.0f} | "
                         f"{fps * by['run_on'] / 1000:.0f} |")
        lines.append("")
    if "codecs" in results:
        lines += ["### Each codec at its default quality (`rifeflow run`, 384x384, held-out check off)", "",
                  "| codec | core-ms per output frame | KiB per output frame |", "|---|---|---|"]
        lines += [f"| `{r['codec']}` | {r['core_ms_per_frame']:.1f} | {r['bytes_per_frame'] / 1024:.1f} |"
                  for r in results["codecs"]]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] in ("--floor", "--floor-new"):
        floor(Path(sys.argv[2]), Path(sys.argv[3]), new_frames=sys.argv[1] == "--floor-new")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="path,codecs")
    parser.add_argument("--sizes", default="384,720")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each path measure (median reported)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    results: dict = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "path" in args.only:
            results["path"] = {size: path_table(int(size), tmp, args.reps) for size in args.sizes.split(",")}
        if "codecs" in args.only:
            results["codecs"] = codec_table(tmp)
    text = tables(results, " ".join(["bench/data_path.py", *sys.argv[1:]]))
    text += f"\n({time.perf_counter() - started:.0f} s)\n"
    (OUT / "data_path.md").write_text(text)
    (OUT / "data_path.json").write_text(json.dumps(results, indent=1))
    print("\n" + text)


if __name__ == "__main__":
    main()
