"""The `interpolate-video` flow: every stage of one video on the Dask workers; this process only records.

prepare (fetch once, checksum, index the frames, plan chunks) -> chunks (each decodes its frames from the
source, interpolates, encodes its segment and scores its held-out triplets) -> stitch (join the segments
and the audio by packet copy, publish). Each result is saved in the manifest as it arrives, so a failure
or a crash keeps everything that finished, and a rerun resumes from there.
"""
from __future__ import annotations

import contextlib
import time

import dask
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from rifeflow.orchestration.waiting import PUBLISH_GRACE_S, as_finished, result_within, stop_requested
from rifeflow.manifests.config import CatalogConfig
from rifeflow.manifests.records import InterpolationOptions, SourceRef, StitchResult, VideoManifest, VideoOutcome
from rifeflow.storage import layout, leases
from rifeflow.errors import LeaseLost, VideoError, error_kind
from rifeflow.storage.manifest_store import ManifestWriter, clean_staging, start_video
from rifeflow.storage.faults import counting_retries
from rifeflow.video.timeline import timestep_method
from rifeflow.metrics.facts import video_metrics
from rifeflow.metrics.heldout import summarise
from rifeflow.tasks.video_tasks import interpolate_chunk_task, interpolate_short_video, stitch_and_mux


@flow(name="interpolate-video", flow_run_name="{source_uri}", validate_parameters=False, retries=0)
def interpolate_video_flow(source_uri: str, config: CatalogConfig, options: InterpolationOptions,
                           encoding: dict, gpu: bool = False, output_uri: str | None = None,
                           run_id: str | None = None) -> VideoOutcome:
    """One video, under a lease on its output: another run working on the same output is waited for."""
    logger = get_run_logger()
    output = output_uri or layout.output_uri(config.source_uri, config.dest_uri, source_uri, encoding["codec"])
    owner = run_id or str(flow_run.id)

    def waiting(holder: leases.Lease) -> None:
        logger.info("%s is being worked on by run %s (%s, pid %d): waiting for it", layout.printable(output),
                    holder.owner, holder.host, holder.pid)

    with counting_retries() as here, leases.holding(config.dest_uri, output, owner, on_wait=waiting,
                                                    wait_s=config.lease_wait_s, stopping=stop_requested) as held:
        clean_staging(config.dest_uri, output)
        return _interpolate(source_uri, output, owner, config, options, encoding, gpu, here,
                            ManifestWriter(config.dest_uri, held))


def _interpolate(source_uri: str, output: str, owner: str, config: CatalogConfig, options: InterpolationOptions,
                 encoding: dict, gpu: bool, here: list, writer: ManifestWriter) -> VideoOutcome:
    started = time.perf_counter()
    logger = get_run_logger()
    dest = config.dest_uri
    manifest, verdict = start_video(source_uri, config.source_uri, dest, options, encoding, config.chunk_frames,
                                    output)
    if verdict == "skip":
        logger.info("%s is done and unchanged: skipped", source_uri)
        return VideoOutcome(source_uri=source_uri, output_uri=manifest.output_uri, status="skipped",
                            video_key=manifest.video_key, manifest=manifest)
    if verdict == "failed":
        reason = (manifest.error or "").split(": ", 1)[-1]
        raise VideoError(source_uri, f"unchanged since it failed: {reason}")
    resources = {"GPU": 1} if gpu else {}
    lease = writer.held.lease
    try:
        if manifest.probe is None:
            with dask.annotate(resources=resources):
                future = interpolate_short_video.submit(manifest, dest, options, encoding, config.heldout_frames,
                                                        config.weights, lease)
            whole = result_within(future, config.task_timeout_s, source_uri, PUBLISH_GRACE_S)
            manifest = manifest.with_prepared(whole.prepared).with_retries(whole.retries)
            if whole.stitched is not None:  # one chunk: prepared, interpolated and stitched in that one task
                manifest = manifest.with_result(whole.result).with_timing("interpolate", whole.result.seconds)
                return _finish(writer, manifest, whole.stitched, owner, here, started)
            manifest = writer.save(manifest)
        manifest = _chunks(writer, manifest, source_uri, config, options, resources)
        stitched = result_within(stitch_and_mux.submit(manifest, dest, lease), config.task_timeout_s, source_uri,
                                 PUBLISH_GRACE_S)
        return _finish(writer, manifest, stitched, owner, here, started)
    except LeaseLost:
        raise  # another run holds the output: this one saves nothing
    except BaseException as exc:
        with contextlib.suppress(LeaseLost, OSError):
            writer.save(manifest.model_copy(update={"status": "failed", "error": str(exc),
                                                    "error_kind": error_kind(exc)}).with_retries(here[0]))
        raise


def _chunks(writer: ManifestWriter, manifest: VideoManifest, source_uri: str, config: CatalogConfig,
            options: InterpolationOptions, resources: dict) -> VideoManifest:
    """Every unfinished chunk on the workers, each result saved as it arrives; the held-out figures summed up."""
    logger = get_run_logger()
    todo = manifest.pending_chunks()
    logger.info("%s: %d chunks, %d to interpolate", source_uri, len(manifest.chunks), len(todo))
    if options.on_timeline(manifest.probe.vfr):
        logger.info("%s: %s -> %s fps, each frame at its own time; %s", source_uri, manifest.probe.fps,
                    options.output_rate(manifest.probe.rate), timestep_method(options.model))
    submitted = time.perf_counter()
    source = SourceRef(uri=source_uri, stat=manifest.source_stat)
    with dask.annotate(resources=resources):
        futures = [interpolate_chunk_task.submit(c, source, manifest.probe, options, manifest.encoder, config.weights,
                                                 manifest.mouth) for c in todo]
    for result in as_finished(futures, config.chunk_timeout_s, source_uri):
        manifest = writer.save(manifest.with_result(result).with_retries(result.retries))
    return manifest.with_timing("interpolate", time.perf_counter() - submitted)


def _finish(writer: ManifestWriter, manifest: VideoManifest, stitched: StitchResult, owner: str, here: list,
            started: float) -> VideoOutcome:
    """Record the published video as done, with its metrics, and say so."""
    scores = [s for r in manifest.results for s in r.heldout]
    manifest = manifest.model_copy(update={"heldout": summarise(scores, sum(r.heldout_seconds
                                                                            for r in manifest.results))})
    metrics = video_metrics(manifest, stitched.facts, stitched.temporal, stitched.sync)
    manifest = writer.save(manifest.model_copy(
        update={"status": "done", "metrics": metrics, "done_by_run_id": owner,
                "output_stat": stitched.output_stat}).with_timing(
        "stitch", stitched.seconds).with_retries(stitched.retries + here[0]))
    return VideoOutcome(source_uri=manifest.source_uri, output_uri=manifest.output_uri, status="done",
                        video_key=manifest.video_key, seconds=time.perf_counter() - started,
                        retries=manifest.retries, manifest=manifest)
