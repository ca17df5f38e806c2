"""Pure compute for rifeflow: IFNet variants, warping, batching schedules. Torch only, no I/O.

Names load on first use, so importing a torch-free part (rife_kernels.names) does not import torch.
"""
from importlib import import_module

from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES, SCALES

_LAZY = {
    "FrameInterpolator": "interpolator", "check_scale": "interpolator",
    "MODELS": "registry", "ModelSpec": "registry", "load_state": "registry", "model_spec": "registry",
    "MODES": "schedule", "check_exp": "schedule", "classify_pairs": "schedule", "inbetweens": "schedule",
    "at_timesteps": "schedule", "SCENE_CUT_SSIM": "schedule",
}

__all__ = ["DEFAULT_MODEL", "MODEL_NAMES", "SCALES", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f"rife_kernels.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rife_kernels' has no attribute {name!r}")
