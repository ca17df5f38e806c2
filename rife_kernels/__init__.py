"""Pure compute for rifeflow: IFNet variants, warping, batching schedules. Torch only, no I/O."""
from rife_kernels.interpolator import SCALES, FrameInterpolator, check_scale
from rife_kernels.registry import DEFAULT_MODEL, MODELS, ModelSpec, load_state, model_spec
from rife_kernels.schedule import MODES, check_exp, classify_pairs, inbetweens

__all__ = [
    "DEFAULT_MODEL", "MODELS", "MODES", "SCALES", "FrameInterpolator", "ModelSpec",
    "check_exp", "check_scale", "classify_pairs", "inbetweens", "load_state", "model_spec",
]
