"""The `interpolate-video` flow: probe, split, interpolate chunks on Dask, stitch and mux."""
from __future__ import annotations

import time

import dask
from prefect import flow, get_run_logger

from manifests.config import CatalogConfig
from manifests.records import InterpolationOptions, VideoOutcome
from rifeflow import steps
from rifeflow.chunk_wait import collect_chunk_results
from tasks.video_tasks import interpolate_chunk, measure, probe, split, start_video, stitch


@flow(name="interpolate-video", flow_run_name="{source_uri}", validate_parameters=False)
def interpolate_video_flow(source_uri: str, config: CatalogConfig, options: InterpolationOptions,
                           gpu: bool = False, torch_threads: int = 1) -> VideoOutcome:
    started = time.perf_counter()
    logger = get_run_logger()
    manifest, finished = start_video(source_uri, config, options)
    if finished:
        logger.info("%s is done and unchanged: skipped", source_uri)
        return VideoOutcome(source_uri=source_uri, output_uri=manifest.output_uri, status="skipped",
                            video_key=manifest.video_key)
    try:
        manifest = _timed(manifest, "probe", lambda m: probe(m, config.dest_uri))
        manifest = _timed(manifest, "split", lambda m: split(m, config.dest_uri))
        todo = [c for c in manifest.chunks if c.index not in manifest.done_chunks()]
        logger.info("%s: %d chunks, %d to interpolate", source_uri, len(manifest.chunks), len(todo))
        with dask.annotate(resources={"GPU": 1} if gpu else {}):
            futures = [interpolate_chunk.submit(c, options, config.weights, torch_threads) for c in todo]
        manifest = _timed(manifest, "interpolate",
                          lambda m: collect_chunk_results(futures, m, config.dest_uri, config.chunk_timeout_s))
        manifest = _timed(manifest, "stitch", lambda m: stitch(m, config.dest_uri, config.crf, config.preset))
        manifest = steps.save_manifest(config.dest_uri, measure(manifest, config))
    except BaseException as exc:
        steps.save_manifest(config.dest_uri, manifest.model_copy(update={"status": "failed", "error": f"{exc}"}))
        raise
    return VideoOutcome(source_uri=source_uri, output_uri=manifest.output_uri, status="done",
                        video_key=manifest.video_key, seconds=time.perf_counter() - started)


def _timed(manifest, stage, step):
    started = time.perf_counter()
    result = step(manifest)
    return result.with_timing(stage, time.perf_counter() - started)
