"""The catalog flow's parameters: one typed record, so the Prefect UI shows a form."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rifeflow.manifests.options import EncodingChoices, InterpolationChoices

if TYPE_CHECKING:
    from rifeflow.manifests.records import InterpolationOptions


# The environment variables prefect.yaml reads these fields from at deploy time.
DEPLOY_VARIABLES = {"source_uri": "RIFEFLOW_SOURCE_URI", "dest_uri": "RIFEFLOW_DEST_URI"}


class CatalogLocations(BaseModel):
    source_uri: str = Field(description="folder or bucket prefix to search for videos (s3://bucket/prefix or a path)")
    dest_uri: str = Field(description="where outputs, manifests, chunks and metrics go")


class CatalogConfig(EncodingChoices, InterpolationChoices, CatalogLocations):
    """Where to read and write, the interpolation and encoding choices (options.py), and how to run the catalog."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # never echo a URI's credentials

    weights: Optional[str] = Field(None, description="own weights: local path or fsspec URL (default: the model's "
                                                     "released weights, fetched and verified once)")
    chunk_frames: int = Field(240, ge=1, le=100_000, description="frames per chunk, plus one overlap frame; a video "
                                                             "of one chunk is done in one task")
    workers: int = Field(2, ge=1, le=64, description="local CPU workers when no scheduler is given (each GPU "
                                                      "chosen by --gpus gets a worker of its own besides)")
    gpus: Optional[str] = Field(None, description="GPUs of this host that get a local worker each, pinned to it: "
                                                  "all, none, or a list such as 0,2 (default: all visible; not with "
                                                  "--scheduler)")
    scheduler: Optional[str] = Field(None, description="existing Dask scheduler address, tcp://host:8786 "
                                                       "(default: a local cluster)")
    heldout_frames: int = Field(16, ge=0, le=256, description="held-out triplets per video for the quality "
                                                              "metrics; 0: none")
    record_skipped: bool = Field(True, description="metrics rows also for videos finished by an earlier run "
                                                   "(carrying that run's figures)")
    chunk_timeout_s: float = Field(3600.0, gt=0, description="seconds without any finished chunk of a video before "
                                                              "its running chunks are cancelled and it fails "
                                                              "(finished chunks are kept for the next run)")
    task_timeout_s: float = Field(3600.0, gt=0, description="seconds a prepare, a one-task video or a stitch may "
                                                             "take before it is cancelled and its video fails "
                                                             "(the next run resumes it)")
    lease_wait_s: float = Field(3600.0, ge=0, description="seconds to wait for another run that works on the same "
                                                           "output before leaving it to that run (the video fails "
                                                           "in this run, and is tried again by the next)")
    videos_in_flight: Optional[int] = Field(None, ge=1, le=10_000, description="videos worked on at once "
                                            "(default: twice the GPU workers, or twice the workers without GPUs)")

    @field_validator("source_uri", "dest_uri")
    @classmethod
    def _filled(cls, value: str, info):
        # `prefect deploy` turns a `{{ $VAR }}` whose variable is unset into "" (and warns).
        if not value.strip() or "{{" in value:
            variable = DEPLOY_VARIABLES[info.field_name]
            raise ValueError(f"{info.field_name} is empty or an unfilled prefect.yaml placeholder ({value!r}): "
                             f"set {variable} when running `prefect deploy`, or give {info.field_name} as a "
                             "parameter of the run")
        return value

    @field_validator("source_uri", "dest_uri", "weights", "scheduler")
    @classmethod
    def _no_credentials(cls, value: str | None, info):
        from rifeflow.manifests.uris import has_credentials

        if has_credentials(value):
            raise ValueError(f"{info.field_name} carries credentials (user:secret@): give them through the "
                             "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), an AWS profile or "
                             "FSSPEC_S3_* settings; `rifeflow run` moves them there for you")
        return value

    @field_validator("gpus")
    @classmethod
    def _a_gpu_list(cls, value):
        if value is None:
            return None
        text = value.strip().lower()
        if text in ("all", "none") or all(part.strip().isdigit() for part in text.split(",")):
            return text
        raise ValueError(f"gpus must be all, none, or GPU numbers such as 0,2, got {value!r}")

    @model_validator(mode="after")
    def _gpus_are_local(self):
        if self.gpus is not None and self.scheduler:
            raise ValueError("gpus chooses the GPUs of the local cluster; with a scheduler, start each GPU's worker "
                             "yourself (dask worker ... --resources GPU=1, CUDA_VISIBLE_DEVICES set)")
        return self

    def options(self, weights_sha256: str) -> InterpolationOptions:
        from rifeflow.manifests.records import InterpolationOptions  # (the command line's help needs no records)

        return InterpolationOptions(**self.choices(), weights_sha256=weights_sha256)
