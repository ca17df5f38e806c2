"""Prefect tasks: one per retryable unit of a video's work, each a thin wrapper over a plain function.

All of them run on Dask workers and return records; the flow alone writes the manifest. Torch in a
worker uses the worker's own OMP_NUM_THREADS (Dask's nanny sets it; rifeflow's local cluster sets it
to each worker's share of the cores), so a worker on another machine sizes itself.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from rifeflow.errors import retryable
from rifeflow.storage.leases import Lease
from rifeflow.manifests.records import (CatalogListing, ChunkResult, ChunkSpec, EncoderSettings, InterpolationOptions,
                                        MouthPlan, SourceRef, StitchResult, VideoManifest, VideoProbe, WholeVideo)


def transient_only(task, task_run, state) -> bool:
    """Retry storage and worker failures; a bad video or a bad option fails at once."""
    try:
        state.result()
    except BaseException as error:  # the task's own exception
        return retryable(error)
    return False


RETRYABLE = dict(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_only, cache_policy=NO_CACHE)
R = TypeVar("R")


def counted(work: Callable[[], R]) -> R:
    """`work()`'s record with `retries`: storage calls retried inside it plus this task's earlier attempts."""
    from rifeflow.storage.faults import counting_retries
    from rifeflow.storage.secrets import install_log_redaction

    install_log_redaction()  # this worker's handlers too, whoever started it
    with counting_retries() as box:
        result = work()
    return result.model_copy(update={"retries": box[0] + max(0, (task_run.run_count or 1) - 1)})


@task(name="discover-videos", **RETRYABLE)
def discover_videos(source_uri: str, dest_uri: str, codec: str) -> CatalogListing:
    from rifeflow.storage import store
    from rifeflow.storage.layout import is_work_path, plan_outputs

    found = [uri for uri in store.list_videos(source_uri) if not is_work_path(dest_uri, uri)]
    outputs, refused = plan_outputs(source_uri, dest_uri, found, codec)
    return CatalogListing(outputs=outputs, refused=refused)


@task(name="sweep-leftovers", **RETRYABLE)
def sweep_leftovers(dest_uri: str) -> int:
    from rifeflow.storage.leftovers import sweep

    return sweep(dest_uri)


@task(name="interpolate-short-video", **RETRYABLE)
def interpolate_short_video(manifest: VideoManifest, dest_uri: str, options: InterpolationOptions, encoding: dict,
                            heldout_frames: int, weights: str | None, lease: Lease) -> WholeVideo:
    """Prepare a video, and when it is one chunk, interpolate and stitch it in the same task."""
    from rifeflow.steps.whole import interpolate_whole

    return counted(lambda: interpolate_whole(manifest, dest_uri, options, encoding, heldout_frames, weights, lease))


@task(name="interpolate-chunk", task_run_name="chunk-{chunk.index}", **RETRYABLE)
def interpolate_chunk_task(chunk: ChunkSpec, source: SourceRef, probe: VideoProbe, options: InterpolationOptions,
                           encoder: EncoderSettings, weights: str | None, mouth: MouthPlan) -> ChunkResult:
    from rifeflow.steps.chunk import interpolate_chunk

    return counted(lambda: interpolate_chunk(chunk, source, probe, options, encoder, weights, mouth))


@task(name="stitch-and-mux", **RETRYABLE)
def stitch_and_mux(manifest: VideoManifest, dest_uri: str, lease: Lease) -> StitchResult:
    from rifeflow.steps.stitch import stitch_video

    return counted(lambda: stitch_video(manifest, dest_uri, lease))
