"""The mouth, measured on real talking heads (the shared clips).

1. Held-out quality per clip: the model's middle frame of real triplets against the true one, over the whole
   frame and inside the mouth box, for both models and for the neighbours' average, with the box found.
2. What the mouth's figures cost per video: finding the box, scoring the held-out triplets inside it, the
   lips' motion on every frame and the in-betweens against their neighbours inside the box, and the lip-sync
   check, each timed on the clip itself, against the CPU time a real `rifeflow run` spends on that video
   (target: at most 10 %).

    .venv/bin/python bench/mouth.py [--triplets 8] [--skip-run]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.clips import OUT, run_header, shared_clip  # noqa: E402

TALKING = ["retalking_face_1.mp4", "retalking_face_2.mp4", "retalking_face_3.mp4",
           "WDA_AlexandriaOcasioCortez_000.mp4", "WDA_KatieHill_000.mp4"]
NO_FACE = ["dog_eating_854132.mp4"]
MODELS = ["rife-hdv3", "rife-4.25"]
BIN = Path(sys.executable).parent


def quality(triplets: int) -> list[dict]:
    from rifeflow.engine.weights import resolve_weights
    from rifeflow.manifests.records import InterpolationOptions
    from rifeflow.steps.heldout import heldout_of_file

    rows = []
    for name in TALKING + NO_FACE:
        path = str(shared_clip(name))
        for model in MODELS:
            options = InterpolationOptions(model=model, weights_sha256=resolve_weights(model).sha256)
            result, mouth = heldout_of_file(path, options, None, triplets)
            rows.append({"clip": name, "model": model, "box": mouth.box, "reason": mouth.reason,
                         **result.model_dump(exclude={"seconds", "retries"})})
    return rows


def _timed(work, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) / repeat


def mouth_cost(name: str, triplets: int) -> dict:
    """Seconds (one core) each mouth figure costs this video, timed on its own frames."""
    from rifeflow.metrics.mouth import Box, InbetweenMeasures, motion, mouth_scores
    from rifeflow.metrics.quality import neighbour_average
    from rifeflow.metrics.sync import lip_sync
    from rifeflow.steps.heldout import box_of, find_mouth
    from rifeflow.video.audio import SYNC_RATE, mono_samples
    from rifeflow.video.read import decode_window, index_frames

    path = str(shared_clip(name))
    probe, times, index = index_frames(path)
    find = _timed(lambda: find_mouth(path, index, probe.frame_bits))
    box = box_of(find_mouth(path, index, probe.frame_bits)) or Box(0, 0, probe.width // 4, probe.height // 4)
    frames = [f for _, f in decode_window(path, index.pts[:3], None, probe.frame_bits, 0)]
    a, b, c = frames
    average = neighbour_average(a, c)
    per_triplet = _timed(lambda: mouth_scores(box, b, b, average), 20)
    per_frame = _timed(lambda: motion(a, b, box), 200)
    between = InbetweenMeasures(box)
    whole = InbetweenMeasures(None)  # the luma shift is measured with or without a mouth
    per_inbetween = _timed(lambda: between.pair(a, [b], c), 100) - _timed(lambda: whole.pair(a, [b], c), 100)
    frames_in, frames_out = len(times), 2 * len(times)  # exp 1
    motion_in = [1.0] * frames_in
    motion_out = [1.0] * frames_out

    def sync():
        samples, start = mono_samples(path)
        lip_sync(samples, SYNC_RATE, start, 0.0, motion_in, float(probe.rate), motion_out, 2 * float(probe.rate))

    return {"clip": name, "find_s": find, "heldout_s": per_triplet * triplets,
            "motion_s": per_frame * (frames_in + frames_out), "inbetween_s": max(per_inbetween, 0.0) * frames_in,
            "sync_s": _timed(sync), "frames_in": frames_in}


def run_cpu(names: list[str], triplets: int, tmp: Path) -> tuple[float, float]:
    """CPU seconds of one `rifeflow run` (2 workers, defaults, exp 1) over these clips, and its wall time."""
    source = tmp / "in"
    source.mkdir()
    for name in names:
        shutil.copy(shared_clip(name), source / name)  # copies: links out of SOURCE are refused
    env = {"PREFECT_HOME": str(tmp / "prefect"), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "rifeflow"), "run", str(source), str(tmp / "out"), "--workers", "2",
                           "--heldout-frames", str(triplets)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def _f(value, digits=2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def tables(rows: list[dict], costs: list[dict], run: tuple[float, float] | None, command: str) -> str:
    lines = [run_header(command), "", "### Held-out PSNR (dB), whole frame and inside the mouth box", "",
             "| clip | model | mouth box (x, y, w, h) | whole: model | whole: average | mouth: model | "
             "mouth: average | mouth gain | triplets |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        box = r["box"] and tuple(r["box"]) or f"none: {r['reason']}"
        lines.append(f"| {r['clip']} | {r['model']} | {box} | {_f(r['heldout_psnr_db'])} | "
                     f"{_f(r['baseline_psnr_db'])} | {_f(r['mouth_heldout_psnr_db'])} | "
                     f"{_f(r['mouth_baseline_psnr_db'])} | {_f(r['mouth_heldout_gain_db'])} | {r['heldout_n']} |")
    lines += ["", "### What the mouth's figures cost per video (seconds on one core)", "",
              "| clip | frames | find the box | held-out in the box | lips' motion | in-betweens in the box | "
              "lip sync | all |", "|---|---|---|---|---|---|---|---|"]
    total = 0.0
    for c in costs:
        cost = c["find_s"] + c["heldout_s"] + c["motion_s"] + c["inbetween_s"] + c["sync_s"]
        total += cost
        lines.append(f"| {c['clip']} | {c['frames_in']} | {c['find_s']:.3f} | {c['heldout_s']:.3f} | "
                     f"{c['motion_s']:.3f} | {c['inbetween_s']:.3f} | {c['sync_s']:.3f} | {cost:.3f} |")
    if run is not None:
        cpu, wall = run
        lines += ["", f"One `rifeflow run` over the {len(costs)} clips (2 workers, exp 1, defaults): {cpu:.0f} "
                      f"CPU-seconds ({wall:.0f} s wall); the mouth's figures {total:.1f} CPU-seconds of it: "
                      f"**{100 * total / cpu:.1f} %** (target: at most 10 %)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triplets", type=int, default=8, help="held-out triplets per clip")
    parser.add_argument("--skip-run", action="store_true", help="leave out the catalog run (the cost's baseline)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = quality(args.triplets)
    costs = [mouth_cost(name, args.triplets) for name in TALKING]
    run = None
    if not args.skip_run:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_cpu(TALKING, args.triplets, Path(tmp))
    text = tables(rows, costs, run, " ".join(["bench/mouth.py", *sys.argv[1:]]))
    (OUT / "mouth.md").write_text(text)
    (OUT / "mouth.json").write_text(json.dumps({"quality": rows, "costs": costs, "run": run}, indent=1, default=str))
    print(text)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
