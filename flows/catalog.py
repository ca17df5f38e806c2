"""The `interpolate-catalog` flow: every video under SOURCE_URI, one `interpolate-video` subflow each.

Subflows, not mapped tasks: each video gets its own flow run (state, logs, duration)
in the UI, a broken video fails alone with its reason, and an operator retrying a
failed run resumes from the manifests, so only unfinished chunks run again.
"""
from __future__ import annotations

from prefect import flow, get_run_logger
from prefect_dask import DaskTaskRunner

from manifests.config import CatalogConfig
from manifests.records import VideoOutcome
from rifeflow.cluster import dask_cluster
from rifeflow.weights import resolve_weights
from flows.video import interpolate_video_flow
from tasks.video_tasks import discover_videos


@flow(name="interpolate-catalog", log_prints=True)
def interpolate_catalog(config: CatalogConfig) -> list[VideoOutcome]:
    logger = get_run_logger()
    videos = discover_videos(config.source_uri, config.dest_uri)
    logger.info("%d videos under %s", len(videos), config.source_uri)
    options = config.options(resolve_weights(config.model, config.weights).sha256)
    outcomes = []
    with dask_cluster(config.scheduler, config.workers) as cluster:
        logger.info("Dask at %s: %d workers, %d with a GPU", cluster.address, cluster.workers, cluster.gpu_workers)
        video_flow = interpolate_video_flow.with_options(task_runner=DaskTaskRunner(address=cluster.address))
        for uri in videos:
            state = video_flow(uri, config, options, gpu=cluster.gpu_workers > 0,
                               torch_threads=cluster.torch_threads, return_state=True)
            outcomes.append(_outcome(uri, state))
    return outcomes


def _outcome(uri: str, state) -> VideoOutcome:
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    return VideoOutcome(source_uri=uri, status="failed", error=str(error) if error else state.message)
