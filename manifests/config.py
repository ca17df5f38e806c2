"""The catalog flow's parameters: one typed record, so the Prefect UI shows a form."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rifeflow.manifests.records import InterpolationOptions


# The environment variables prefect.yaml reads these fields from at deploy time.
DEPLOY_VARIABLES = {"source_uri": "RIFEFLOW_SOURCE_URI", "dest_uri": "RIFEFLOW_DEST_URI"}


class CatalogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # never echo a URI's credentials

    source_uri: str = Field(description="folder or bucket prefix to search for videos (s3://bucket/prefix or a path)")
    dest_uri: str = Field(description="where outputs, manifests, chunks and metrics go")
    exp: int = Field(1, ge=1, le=4, description="interpolation factor 2^exp (ignored when fps is set)")
    fps: Optional[str] = Field(None, description="output frame rate instead of 2^exp: 60, 60000/1001, 59.94, "
                                                 "or a factor such as 2.5x")
    scene_threshold: float = Field(0.2, ge=0, le=1, description="thumbnail SSIM under which neighbouring frames "
                                                                "are a scene cut and are not blended; 0: off")
    model: str = Field("rife-hdv3", description="rife-hdv3 (default) or rife-4.25")
    weights: Optional[str] = Field(None, description="own weights: local path or fsspec URL")
    scale: float = Field(1.0, description="flow scale: 0.25, 0.5, 1.0, 2.0 or 4.0")
    tta: bool = False
    mode: Literal["chain", "direct"] = "chain"
    fp16: bool = Field(False, description="half precision on GPU workers")
    chunk_frames: int = Field(48, ge=1, le=100_000, description="frames per chunk (plus one overlap frame)")
    workers: int = Field(2, ge=1, le=64, description="local Dask workers when no scheduler is given")
    scheduler: Optional[str] = Field(None, description="existing Dask scheduler, tcp://host:8786")
    crf: int = Field(16, ge=0, le=51)
    preset: str = "medium"
    heldout_frames: int = Field(16, ge=0, le=256, description="held-out triplets per video for quality metrics")
    record_skipped: bool = Field(True, description="metrics rows also for videos finished by an earlier run "
                                                   "(carrying that run's figures)")
    chunk_timeout_s: float = Field(3600.0, gt=0, description="if no chunk of a video finishes for this long, its "
                                                              "running chunks are cancelled and the video fails "
                                                              "(finished chunks are kept for the next run)")
    videos_in_flight: Optional[int] = Field(None, ge=1, le=10_000, description="videos worked on at once "
                                            "(default: twice the GPU workers, or twice the workers without GPUs)")

    @field_validator("source_uri", "dest_uri")
    @classmethod
    def _no_credentials(cls, value: str, info):
        from rifeflow.secrets import has_credentials

        # `prefect deploy` turns a `{{ $VAR }}` whose variable is unset into "" (and warns).
        if not value.strip() or "{{" in value:
            variable = DEPLOY_VARIABLES[info.field_name]
            raise ValueError(f"{info.field_name} is empty or an unfilled prefect.yaml placeholder ({value!r}): "
                             f"set {variable} when running `prefect deploy`, or give {info.field_name} as a "
                             "parameter of the run")
        if has_credentials(value):
            raise ValueError(f"{info.field_name} carries credentials (user:secret@): give them through the "
                             "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), an AWS profile or "
                             "FSSPEC_S3_* settings; `rifeflow run` moves them there for you")
        return value

    @field_validator("model", "scale")
    @classmethod
    def _one_of_the_known(cls, value, info):
        from rife_kernels.names import MODEL_NAMES, SCALES

        if info.field_name == "model" and value not in MODEL_NAMES:
            raise ValueError(f"unknown model {value!r}: choose one of {', '.join(sorted(MODEL_NAMES))}")
        if info.field_name == "scale" and value not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}")
        return value

    @field_validator("fps")
    @classmethod
    def _a_rate(cls, value: Optional[str]) -> Optional[str]:
        """Stored exactly: `59.94` becomes `60000/1001`, `2.5x` becomes `5/2x`."""
        if value is None:
            return None
        from rifeflow.manifests.rates import parse_rate

        kind, rate = parse_rate(value)
        return f"{rate}x" if kind == "factor" else str(rate)

    def options(self, weights_sha256: str) -> InterpolationOptions:
        return InterpolationOptions(exp=self.exp, model=self.model, weights_sha256=weights_sha256, scale=self.scale,
                                    tta=self.tta, mode=self.mode, fp16=self.fp16, fps=self.fps,
                                    scene_threshold=self.scene_threshold)
