"""Prefect tasks: one per retryable unit of work, each a thin wrapper over rifeflow.steps."""
from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from manifests.config import CatalogConfig
from manifests.records import ChunkResult, ChunkSpec, InterpolationOptions, VideoManifest
from rifeflow import steps, storage
from rifeflow.errors import RifeflowError


def transient_only(task, task_run, state) -> bool:
    """Retry storage and worker failures; a bad video or a bad option fails at once."""
    return not isinstance(state.data, (RifeflowError, ValueError, FileNotFoundError, PermissionError))


RETRYABLE = dict(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_only, cache_policy=NO_CACHE)


@task(name="discover-videos", **RETRYABLE)
def discover_videos(source_uri: str, dest_uri: str) -> list[str]:
    from rifeflow.layout import is_work_path

    return [uri for uri in storage.list_videos(source_uri) if not is_work_path(dest_uri, uri)]


@task(name="start-video", **RETRYABLE)
def start_video(source_uri: str, config: CatalogConfig, options: InterpolationOptions) -> tuple[VideoManifest, bool]:
    return steps.start_video(source_uri, config, options)


@task(name="probe", **RETRYABLE)
def probe(manifest: VideoManifest, dest_uri: str) -> VideoManifest:
    return steps.save_manifest(dest_uri, steps.probe_source(manifest, dest_uri))


@task(name="split", **RETRYABLE)
def split(manifest: VideoManifest, dest_uri: str) -> VideoManifest:
    return steps.save_manifest(dest_uri, steps.split_video(manifest))


@task(name="interpolate-chunk", task_run_name="chunk-{chunk.index}", **RETRYABLE)
def interpolate_chunk(chunk: ChunkSpec, options: InterpolationOptions, weights: str | None,
                      torch_threads: int) -> ChunkResult:
    return steps.interpolate_chunk(chunk, options, weights, torch_threads)


@task(name="stitch-and-mux", **RETRYABLE)
def stitch(manifest: VideoManifest, dest_uri: str, crf: int, preset: str) -> VideoManifest:
    return steps.save_manifest(dest_uri, steps.stitch_video(manifest, dest_uri, crf, preset))


@task(name="measure", **RETRYABLE)
def measure(manifest: VideoManifest, config: CatalogConfig) -> VideoManifest:
    return steps.save_manifest(config.dest_uri, steps.measure(manifest, config.weights, config.heldout_frames))
