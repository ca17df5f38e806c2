"""The `interpolate-catalog` flow: every video under SOURCE_URI, one `interpolate-video` subflow each.

Subflows, not mapped tasks: each video gets its own flow run (state, logs, duration)
in the UI, a broken video fails alone with its reason, and an operator retrying a
failed run resumes from the manifests, so only unfinished chunks run again.
"""
from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect_dask import DaskTaskRunner

from manifests.config import CatalogConfig
from manifests.planning import video_key
from manifests.records import VideoOutcome
from rifeflow.cluster import dask_cluster
from rifeflow.weights import resolve_weights
from flows.video import interpolate_video_flow
from tasks.report_tasks import publish_run_report, record_metrics
from tasks.video_tasks import discover_videos


@flow(name="interpolate-catalog", log_prints=True)
def interpolate_catalog(config: CatalogConfig) -> list[VideoOutcome]:
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    videos = discover_videos(config.source_uri, config.dest_uri)
    logger.info("%d videos under %s", len(videos), config.source_uri)
    options = config.options(resolve_weights(config.model, config.weights).sha256)
    outcomes, rows = [], []
    with dask_cluster(config.scheduler, config.workers) as cluster:
        logger.info("Dask at %s: %d workers, %d with a GPU", cluster.address, cluster.workers, cluster.gpu_workers)
        video_flow = interpolate_video_flow.with_options(task_runner=DaskTaskRunner(address=cluster.address))
        for uri in videos:
            state = video_flow(uri, config, options, gpu=cluster.gpu_workers > 0,
                               torch_threads=cluster.torch_threads, return_state=True)
            outcome = _outcome(uri, state, video_key(uri, options.model_dump(), config.chunk_frames))
            outcomes.append(outcome)
            rows.append(record_metrics(outcome, config.dest_uri, str(flow_run.id), started, cluster.workers))
    publish_run_report(rows, config.dest_uri)
    return outcomes


def _outcome(uri: str, state, key: str) -> VideoOutcome:
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    return VideoOutcome(source_uri=uri, status="failed", error=str(error) if error else state.message, video_key=key)
