"""The `interpolate-catalog` flow: every video under SOURCE_URI, several in flight at once.

Each video is an `interpolate-video` subflow (its own run, state and logs in the UI), run
from a bounded pool of threads in this process: they only submit work to the Dask workers
and record what comes back. A run in which any video failed ends Failed, after every other
video has finished and the metrics and report are written, so the UI offers Retry; a retry
skips finished videos and resumes the rest from their manifests.
"""
from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from rifeflow.manifests.config import CatalogConfig
from rifeflow.manifests.planning import video_key
from rifeflow.manifests.records import VideoOutcome
from rifeflow.orchestration.dask_cluster import dask_cluster, on_a_worker, shared_task_runner, task_stream
from rifeflow.orchestration.outage import StoreOutage
from rifeflow.orchestration.waiting import clear_stop, run_bounded, run_time_limit
from rifeflow.settings import settings
from rifeflow.errors import CatalogUnreadable, RifeflowError, error_category, error_kind
from rifeflow.storage.layout import check_roots, printable
from rifeflow.storage.faults import retry_again
from rifeflow.storage.leases import check_conditional_writes
from rifeflow.storage.secrets import install_log_redaction
from rifeflow.metrics.dataset import video_row
from rifeflow.metrics.report import run_summary
from rifeflow.engine.weights import resolve_weights
from rifeflow.orchestration.progress import RunProgress
from rifeflow.flows.video import interpolate_video_flow
from rifeflow.tasks.report_tasks import publish_metrics, publish_run_report
from rifeflow.tasks.video_tasks import discover_videos, sweep_leftovers


@flow(name="interpolate-catalog", log_prints=True)
def interpolate_catalog(config: CatalogConfig):
    """Every video under config.source_uri; RIFEFLOW_RUN_TIMEOUT_S (prefect.yaml sets it for the nightly
    deployment) ends the run TimedOut at that age, what finished kept."""
    install_log_redaction()  # a deployment's run too: its logs reach the Prefect server
    clear_stop()
    retry_again()
    with run_time_limit(settings().run_timeout_s):
        return _catalog(config)


def _catalog(config: CatalogConfig) -> list[VideoOutcome]:
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    attempt = flow_run.run_count or 1
    run_id = str(flow_run.id)
    check_roots(config.source_uri, config.dest_uri)
    try:
        listing = discover_videos(config.source_uri, config.dest_uri, config.codec)
        check_conditional_writes(config.dest_uri)
    except (FileNotFoundError, PermissionError, ConnectionError) as exc:
        raise CatalogUnreadable(f"nothing ran: {exc}") from None
    sweep_leftovers(config.dest_uri)
    options = config.options(resolve_weights(config.model, config.weights).sha256)
    rows: list[dict] = []  # appended by the video threads as videos finish; published once, at the end
    outage = StoreOutage()
    ended = False
    try:
        outcomes = _run_videos(config, listing, options, rows, run_id, attempt, started, outage)
        ended = True
    finally:
        rows.sort(key=lambda r: r["source_uri"])
        publish = publish_metrics.with_options(retries=0) if outage.reason else publish_metrics
        try:
            publish(rows, config.dest_uri, run_id, attempt, started)
        except Exception as exc:  # noqa: BLE001  on the way out of a failed run: say so, keep its error
            if ended and not outage.reason:
                raise
            logger.error("metrics of this run not written: %s", exc)
    publish_run_report(rows, config.dest_uri)
    summary = run_summary(outcomes)
    if outage.reason:
        summary += f"; the run ended early, its store stopped answering: {outage.reason}"
    logger.info(summary)
    if any(o.status == "failed" for o in outcomes):
        raise VideosFailed(summary, outcomes)
    return outcomes


def _run_videos(config: CatalogConfig, listing, options, rows: list[dict], run_id: str, attempt: int,
                started: datetime, outage: StoreOutage) -> list[VideoOutcome]:
    logger = get_run_logger()
    videos = list(listing.outputs)
    with dask_cluster(config.scheduler, config.workers, gpus=config.gpus) as cluster, \
            task_stream(cluster.address) as usage, shared_task_runner(cluster.address) as runner:
        in_flight = config.videos_in_flight or 2 * max(1, cluster.gpu_workers or cluster.workers)
        logger.info("%d videos under %s; Dask at %s: %d workers, %d with a GPU; %d videos in flight",
                    len(videos), config.source_uri, cluster.address, cluster.workers, cluster.gpu_workers, in_flight)
        encoding = _encoder_for_run(config, cluster.address, cluster.gpu_workers > 0)
        video_flow = interpolate_video_flow.with_options(task_runner=runner)
        progress = RunProgress(len(videos) + len(listing.refused))

        def record(outcome: VideoOutcome) -> VideoOutcome:
            if outcome.status != "skipped" or config.record_skipped:
                rows.append(video_row(outcome, config.dest_uri, run_id, attempt, started, cluster.workers))
            progress.advance()
            return outcome

        def one_video(uri: str) -> VideoOutcome:
            key = video_key(uri, options.identity(), config.chunk_frames, encoding)
            if outage.reason:
                return record(_not_started(uri, key))
            state = video_flow(uri, config, options, encoding, gpu=cluster.gpu_workers > 0,
                               output_uri=listing.outputs[uri], run_id=run_id, return_state=True)
            error = _error(state)
            outcome = _outcome(uri, state, key, error)
            if outage.note(error):
                logger.error("%s: the store stopped answering: no more videos start, those in flight stop, and "
                             "the next run resumes them", printable(uri))
            return record(outcome)

        refused = [record(_refused(uri, reason)) for uri, reason in sorted(listing.refused.items())]
        for outcome in refused:
            logger.warning("%s", outcome.error)
        outcomes = refused + run_bounded(videos, in_flight, one_video)
        busy = usage()
    if busy["busy_fraction"] is not None:
        logger.info("workers busy %.1f%% of %d x %.1f s (first task to last), %d tasks",
                    100 * busy["busy_fraction"], busy["workers"], busy["span_s"], busy["tasks"])
    return outcomes


def _encoder_for_run(config: CatalogConfig, address: str, gpu: bool) -> dict:
    """The codec every video of this run is encoded with, checked once on a worker that runs chunks."""
    from rifeflow.video.encode import resolve_encoder

    codec, crf, preset, note = on_a_worker(address, gpu, config.chunk_timeout_s, resolve_encoder, config.codec,
                                           config.crf, config.preset)
    if note:
        get_run_logger().warning("%s", note)
    return {"codec": codec, "crf": crf, "preset": preset}


class VideosFailed(RifeflowError, RuntimeError):
    """The run's end when any video failed: its message counts them and names the failed ones."""

    def __init__(self, summary: str, outcomes: list[VideoOutcome]):
        super().__init__(summary)
        self.summary, self.outcomes = summary, outcomes

    def __reduce__(self):  # Prefect stores a failed run's exception by pickle
        return type(self), (self.summary, self.outcomes)


def _refused(uri: str, reason: str) -> VideoOutcome:
    return VideoOutcome(source_uri=uri, status="failed", error=f"{printable(uri)}: {reason}", error_kind="permanent",
                        error_category="refused_key")


def _not_started(uri: str, key: str) -> VideoOutcome:
    return VideoOutcome(source_uri=uri, status="failed", video_key=key, error_kind="transient",
                        error_category="storage",
                        error=f"{printable(uri)}: not started: the run's store stopped answering")


def _error(state) -> BaseException | None:
    if state.is_completed():
        return None
    error = state.result(raise_on_failure=False)
    return error if isinstance(error, BaseException) else None


def _outcome(uri: str, state, key: str, error: BaseException | None) -> VideoOutcome:
    """The video's outcome from its subflow's final state; `error` is `_error(state)`."""
    if state.is_completed():
        return state.result()
    message = str(error) if error is not None else state.message
    return VideoOutcome(source_uri=uri, status="failed", error=message, video_key=key, error_kind=error_kind(error),
                        error_category=error_category(error))
