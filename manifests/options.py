"""The one options model: what a user chooses about interpolation, validated once.

The command line, the Python API, the web page and the catalog's flow parameters all build from
these fields: their names, defaults, descriptions and allowed values (`enum`). A bad choice is
refused with a message that lists what is allowed. InterpolationOptions (records.py) adds the
weights' checksum and names chunks and manifests.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES, MODES, SCALES, SCENE_CUT_SSIM, TIMESTEP_MODELS


class InterpolationChoices(BaseModel):
    """What a user chooses about interpolation; `enum` lists a field's allowed values."""

    exp: int = Field(1, description="interpolation factor 2^exp, exp from 1 to 4")
    fps: Optional[str] = Field(None, description="output frame rate instead of 2^exp (exp is then ignored): 60, "
                                                 "60000/1001, 59.94 (read as 60000/1001), or a factor such as 2.5x "
                                                 "(default: none, exp decides)")
    scene_threshold: float = Field(SCENE_CUT_SSIM, ge=0, le=1,
                                   description="thumbnail SSIM under which neighbouring frames are a scene cut and "
                                               "are not blended; 0 turns detection off")
    model: str = Field(DEFAULT_MODEL, description="IFNet weights to use",
                       json_schema_extra={"enum": sorted(MODEL_NAMES)})
    scale: float = Field(1.0, description="flow scale; 0.5 for 4K", json_schema_extra={"enum": list(SCALES)})
    tta: bool = Field(False, description="test-time augmentation: average with the flipped pair (slower)")
    mode: str = Field("chain", description="chain: repeated 2x passes (best quality); direct: all timesteps at once "
                                           "(rife-4.25)", json_schema_extra={"enum": list(MODES)})
    fp16: bool = Field(False, description="half precision (GPU only; fp32 on a CPU)")

    @field_validator("exp", mode="before")
    @classmethod
    def _a_factor(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise ValueError(f"exp must be an integer from 1 to 4 (factor 2, 4, 8 or 16), got {value!r}")
        return value

    @field_validator("model", "scale", "mode")
    @classmethod
    def _one_of_the_allowed(cls, value, info):
        allowed = InterpolationChoices.model_fields[info.field_name].json_schema_extra["enum"]
        if value not in allowed:
            raise ValueError(f"{info.field_name} must be one of {', '.join(map(str, allowed))}, got {value!r}")
        return value

    @field_validator("fps", mode="before")
    @classmethod
    def _a_rate(cls, value) -> Optional[str]:
        """Stored exactly: `59.94` becomes `60000/1001`, `2.5x` becomes `5/2x`."""
        if value is None:
            return None
        from rifeflow.manifests.rates import parse_rate

        kind, rate = parse_rate(str(value))
        return f"{rate}x" if kind == "factor" else str(rate)

    @model_validator(mode="after")
    def _mode_fits_model(self):
        if self.mode == "direct" and self.model not in TIMESTEP_MODELS:
            raise ValueError(f"direct mode needs a model with arbitrary timesteps (--model "
                             f"{' or '.join(TIMESTEP_MODELS)}); use --mode chain")
        return self

    def choices(self) -> dict[str, Any]:
        """These fields alone, for building another model from them."""
        return {name: getattr(self, name) for name in InterpolationChoices.model_fields}


def one_line(error: ValidationError) -> str:
    """A validation error as one line: each bad field with why, in the validators' own words."""
    parts = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        field = ".".join(str(x) for x in item["loc"])
        parts.append(message if not field or field.split(".")[-1] in message else f"{field}: {message}")
    return "; ".join(parts)


def check_choices(**values) -> InterpolationChoices:
    """InterpolationChoices from keyword values; a bad one raises ValueError with one line saying what is allowed."""
    try:
        return InterpolationChoices(**values)
    except ValidationError as exc:
        raise ValueError(one_line(exc)) from None
