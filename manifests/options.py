"""The one options model: what a user chooses about interpolation, validated once.

The command line, the Python API, the web page and the catalog's flow parameters all build from
these fields: their names, defaults, descriptions and allowed values (`enum`). A bad choice is
refused with a message that lists what is allowed. InterpolationOptions (records.py) adds the
weights' checksum and names chunks and manifests.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES, MODES, SCALES, SCENE_CUT_SSIM, TIMESTEP_MODELS
from rifeflow.manifests.codecs import CODECS, DEFAULT_CODEC, check_quality


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

    def output_rate(self, source_rate: Fraction) -> Fraction:
        from rifeflow.manifests.rates import output_rate

        return output_rate(source_rate, None if self.fps else self.exp, self.fps)

    def on_timeline(self, vfr: bool) -> bool:
        """Whether output frames are placed by time (a rate, or a variable-rate source), not by 2^exp steps."""
        return self.fps is not None or vfr


def _quality_help() -> str:
    return "; ".join(f"{spec.name} {spec.crf_range[0]}-{spec.crf_range[1]} ({spec.crf_default})"
                     for spec in CODECS.values() if spec.crf_range)


def _preset_help() -> str:
    return "; ".join(f"{spec.name}: {spec.preset_means} ({spec.preset_default})"
                     for spec in CODECS.values() if spec.presets and not spec.software_fallback)


class EncodingChoices(BaseModel):
    """How the output is encoded: the codec, and its quality and preset in that codec's own terms."""

    codec: str = Field(DEFAULT_CODEC, description="output encoder; an *_nvenc one where an NVIDIA encoder is "
                                                  "usable, else its software codec (one log line says so)",
                       json_schema_extra={"enum": list(CODECS)})
    crf: Optional[int] = Field(None, description="quality, lower is better, in the codec's own scale (default: "
                                                 f"the codec's own): {_quality_help()}; none for prores_ks and ffv1")
    preset: Optional[str] = Field(None, description=f"speed against size (default: the codec's own): "
                                                    f"{_preset_help()}; NVENC p1-p7 (p5); none for ffv1")

    @field_validator("codec")
    @classmethod
    def _a_codec(cls, value):
        allowed = EncodingChoices.model_fields["codec"].json_schema_extra["enum"]
        if value not in allowed:
            raise ValueError(f"codec must be one of {', '.join(allowed)}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _fits_the_codec(self):
        check_quality(self.codec, self.crf, self.preset)
        return self

    def encoding(self) -> dict[str, Any]:
        """These fields alone, with the codec's defaults filled in."""
        crf, preset = check_quality(self.codec, self.crf, self.preset)
        return {"codec": self.codec, "crf": crf, "preset": preset}


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


def check_encoding(**values) -> EncodingChoices:
    """EncodingChoices from keyword values; a bad one raises ValueError in one line."""
    try:
        return EncodingChoices(**values)
    except ValidationError as exc:
        raise ValueError(one_line(exc)) from None
